"""Reading spreadsheets: whatever text a CSV holds comes back cell for cell, in any encoding."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testigo.surveys import tabular
from tests.conftest import examples

# Text Latin-1 spreadsheets can hold (Spanish accents, ñ, ¿¡), without control characters.
cell = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255, blacklist_characters="\x7f"),
               max_size=12).map(str.strip)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3).filter(lambda r: any(r)), min_size=1, max_size=8),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_csv_cells_round_trip_in_any_encoding(tmp_path, rows, encoding, delimiter):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["Título", "Lugar", "Año"])
    writer.writerows(rows)
    path = tmp_path / "f.csv"
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))
    table = tabular.read_table(path)
    assert table.header == ["Título", "Lugar", "Año"]
    got = [cells for _n, cells in table.rows]
    expected = [r for r in rows if any(c.strip() for c in r)]
    if encoding == "cp1252":  # the five bytes cp1252 lacks were written as "?"
        expected = [[c.encode("cp1252", errors="replace").decode("cp1252") for c in r] for r in expected]
    assert got == expected
