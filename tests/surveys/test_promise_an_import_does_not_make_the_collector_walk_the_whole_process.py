"""Promise (issue #19, import throughput): an import's rows are converted and written with the
process's existing objects frozen out of the garbage collector (core/gcpause.py), in this process
and in the forked converter: collections then walk only what the import itself created, not all
of Django's state (about a fifth of the converter's CPU before, bench/bench_import.py). Once the
import is over, the collector sees everything again, and a heap someone else froze stays frozen."""

from __future__ import annotations

import gc

import pytest

from testigo.core import gcpause
from testigo.reports.models import Report
from testigo.surveys import importing, mapping
from testigo.surveys.models import Import

pytestmark = pytest.mark.django_db

CSV = ("Título,Fecha,Lat,Lon\n"
       "Robo en mercado,01/03/2026,14.08,-87.2\n"
       "Asalto nocturno,02/03/2026,14.09,-87.21\n")
MAPPING = {"columns": {"Título": "title", "Fecha": "occurred_at", "Lat": "lat", "Lon": "lon"}, "date_order": "dmy"}


def test_the_objects_existing_on_entry_are_frozen_within_and_handed_back_after():
    assert gc.get_freeze_count() == 0
    with gcpause.frozen_heap():
        assert gc.get_freeze_count() > 1000  # Django, the test runner: everything already there
    assert gc.get_freeze_count() == 0
    gc.freeze()  # frozen by someone else, as a pre-forking server does
    try:
        before = gc.get_freeze_count()
        with gcpause.frozen_heap():
            pass
        assert gc.get_freeze_count() >= before
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("where", ["here", "forked"])
def test_rows_are_converted_with_the_heap_frozen_in_either_process(admin_user, monkeypatch, where,
                                                                   django_capture_on_commit_callbacks):
    from testigo.core import forked

    if where == "forked" and not forked.available():
        pytest.skip("fork is not available on this system")
    monkeypatch.setattr(importing, "PARALLEL_MIN_BYTES", 0 if where == "forked" else 1 << 60)
    convert = mapping.convert

    def noting_the_collector(prepared, cells):  # the title tells what the collector saw then
        data = convert(prepared, cells)
        data["title"] += " [frozen]" if gc.get_freeze_count() else " [walked]"
        return data

    monkeypatch.setattr(mapping, "convert", noting_the_collector)
    imp = importing.create_import(actor=admin_user, name="datos.csv", data=CSV.encode())
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json=MAPPING)
    with django_capture_on_commit_callbacks(execute=True):
        importing.start(actor=admin_user, imp=imp)
    imp = Import.objects.get(pk=imp.pk)
    assert imp.status == Import.Status.DONE and imp.created_count == 2, imp.errors
    assert sorted(Report.objects.values_list("title", flat=True)) == ["Asalto nocturno [frozen]",
                                                                      "Robo en mercado [frozen]"]
    assert gc.get_freeze_count() == 0  # handed back to the collector after the run
