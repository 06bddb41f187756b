"""Reports leave in the formats partners read (issue #24): XLSX read back by openpyxl, KML read
back by GDAL's `ogrinfo`, HXL-tagged CSV read back by libhxl; the public gets only the
projection, staff what their role allows, and filters that match nothing give a valid empty file."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _bytes(response) -> bytes:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content)


def _sheet(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    assert len(book.worksheets) == 1
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_public_xlsx_is_the_projection_and_staff_get_their_columns(client, world, make_user, token_for):
    rows = _sheet(_bytes(client.get("/api/v1/reports.xlsx")))
    header, body = rows[0], rows[1:]
    assert "status" not in header and "reporter_contact" not in header
    refs = {r[header.index("reference")] for r in body}
    assert refs == {world["public"].reference, world["public2"].reference}
    world["public"].refresh_from_db()
    mine = next(r for r in body if r[header.index("reference")] == world["public"].reference)
    assert float(mine[header.index("lat")]) == pytest.approx(world["public"].public_lat)
    assert mine[header.index("title")] == "Robo publicado"

    coordinator = make_user("coordinator")
    rows = _sheet(_bytes(client.get("/api/v1/reports.xlsx", **token_for(coordinator))))
    assert "status" in rows[0] and "reporter_contact" in rows[0]
    assert world["new"].reference in {r[0] for r in rows[1:]}
    analyst = make_user("analyst")
    rows = _sheet(_bytes(client.get("/api/v1/reports.xlsx", **token_for(analyst))))
    assert "reporter_contact" not in rows[0]
    assert world["confidential"].reference not in {r[0] for r in rows[1:]}


def test_xlsx_cells_never_become_formulas(client, report_factory, admin_user):
    from testigo.reports import services

    r = report_factory(title="=HYPERLINK(\"http://evil\",\"x\")", description="normal\x1b[2J", lat=14.0, lon=-87.0)
    services.verify(report=r, actor=admin_user)
    services.publish(report=r, actor=admin_user)
    rows = _sheet(_bytes(client.get("/api/v1/reports.xlsx")))
    header = rows[0]
    row = rows[1]
    assert not str(row[header.index("title")]).startswith("=")
    assert "\x1b" not in row[header.index("description")]


def test_kml_is_read_by_ogrinfo_with_category_styles(client, world, category, tmp_path):
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "gdal-bin (ogrinfo) is installed by .ci/run"
    from testigo.reports.models import Category

    Category.objects.create(slug="violencia-domestica", name_es="Violencia doméstica", name_en="Domestic violence",
                            sensitive=True)
    data = _bytes(client.get("/api/v1/reports.kml"))
    text = data.decode()
    assert f'<Style id="cat-{category.slug}">' in text
    assert "violencia-domestica" not in text  # a survivor-pathway category is never named to the public
    assert f"<styleUrl>#cat-{category.slug}</styleUrl>" in text
    path = tmp_path / "reports.kml"
    path.write_bytes(data)
    out = subprocess.run([ogrinfo, "-ro", "-al", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Feature Count: 2" in out
    assert "Robo publicado" in out and "Otro robo publicado" in out
    assert "Nuevo sin revisar" not in out and "Confidencial" not in out
    assert "POINT (" in out


def test_hxl_csv_is_valid_hxl_with_the_expected_tags(client, world):
    import hxl

    data = _bytes(client.get("/api/v1/reports.hxl.csv"))
    source = hxl.data(io.BytesIO(data))
    tags = {column.display_tag for column in source.columns}
    for tag in ("#event+id", "#event+name", "#date+occurred", "#geo+lat", "#geo+lon", "#adm1+name", "#sector+list"):
        assert tag in tags
    rows = list(source)
    assert {row.get("#event+id") for row in rows} == {world["public"].reference, world["public2"].reference}
    report = hxl.schema().validate(hxl.data(io.BytesIO(data)))
    assert report is True


@pytest.mark.parametrize("fmt,path", [("xlsx", "reports.xlsx"), ("kml", "reports.kml"), ("hxl", "reports.hxl.csv")])
def test_filters_matching_nothing_give_a_valid_empty_file(client, world, fmt, path, tmp_path):
    data = _bytes(client.get(f"/api/v1/{path}", {"q": "zzzzznothingmatcheszzzz"}))
    if fmt == "xlsx":
        rows = _sheet(data)
        assert len(rows) == 1 and rows[0][0] == "reference"
    elif fmt == "kml":
        file = tmp_path / "empty.kml"
        file.write_bytes(data)
        out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(file)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    else:
        import hxl

        source = hxl.data(io.BytesIO(data))
        assert "#event+id" in {c.display_tag for c in source.columns}
        assert list(source) == []


def test_export_command_writes_every_format(world, capsysbinary):
    call_command("export", "--format", "xlsx")
    rows = _sheet(capsysbinary.readouterr().out)
    assert {r[0] for r in rows[1:]} == {world["public"].reference, world["public2"].reference}
    call_command("export", "--format", "kml", "--all")
    kml = capsysbinary.readouterr().out.decode()
    assert kml.count("<Placemark>") == 5
    call_command("export", "--format", "hxl")
    hxl_text = capsysbinary.readouterr().out.decode()
    assert hxl_text.splitlines()[1].startswith("#event+id,")
