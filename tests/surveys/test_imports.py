"""CSV/XLSX imports: encodings, dates, coordinates, categories, survey fields, idempotent re-runs."""

from __future__ import annotations

import pytest
from django.utils import timezone

from testigo.reports import services as report_services
from testigo.reports.models import Report
from testigo.surveys import importing, mapping
from testigo.surveys.models import Import
from tests.surveys.conftest import break_conversion, write_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "converter")]

CSV = ("Título,Fecha,Lat,Lon,Categoría,Víctimas\n"
       "Robo en mercado,01/03/2026,14.08,-87.2,Robo,2\n"
       "Asalto nocturno,2026-03-02 22:15,-87.21,14.09,robo,1\n"
       "Extorsión,5.3.2026,,,Robbery,\n")
MAPPING = {"columns": {"Título": "title", "Fecha": "occurred_at", "Lat": "lat", "Lon": "lon",
                       "Categoría": "category", "Víctimas": "field:victimas"}, "survey": "incidentes",
           "bbox": [12.9, -89.4, 16.5, -83.1],  # Honduras: a swapped pair falls outside
           "date_order": "dmy"}  # what the mapping page decides (dateorder.settle); "01/03/2026" could be either


@pytest.fixture(params=["here", "forked"])
def converter(request, monkeypatch) -> str:
    """Every import test runs twice: rows converted in this process, and in a forked child
    (what files over PARALLEL_MIN_BYTES get)."""
    from testigo.core import forked

    if request.param == "forked":
        if not forked.available():
            pytest.skip("fork is not available on this system")
        monkeypatch.setattr(importing, "PARALLEL_MIN_BYTES", 0)
    else:
        monkeypatch.setattr(importing, "PARALLEL_MIN_BYTES", 1 << 60)
    return request.param


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    def run(admin_user, data: bytes, mapping_json=MAPPING, name="datos.csv") -> Import:
        imp = importing.create_import(actor=admin_user, name=name, data=data)
        importing.set_mapping(actor=admin_user, imp=imp, mapping_json=mapping_json)
        with django_capture_on_commit_callbacks(execute=True):
            importing.start(actor=admin_user, imp=imp)  # the Huey job runs immediately in tests
        return Import.objects.get(pk=imp.pk)

    return run


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings_are_detected(admin_user, survey, category, encoding, run_import):
    imp = run_import(admin_user, CSV.encode(encoding))
    assert imp.status == Import.Status.DONE and imp.created_count == 3, imp.errors
    titles = set(Report.objects.values_list("title", flat=True))
    assert titles == {"Robo en mercado", "Asalto nocturno", "Extorsión"}


def test_dates_coordinates_categories_and_survey_values(admin_user, survey, category,
                                                       run_import):
    run_import(admin_user, CSV.encode())
    market = Report.objects.get(title="Robo en mercado")
    assert market.occurred_at.date().isoformat() == "2026-03-01"  # day first
    assert list(market.categories.all()) == [category] and market.source == "import"
    assert market.custom_values["victimas"] == 2 and market.custom_values["_survey"] == survey.pk
    night = Report.objects.get(title="Asalto nocturno")
    assert (night.lat, night.lon) == (14.09, -87.21)  # swapped (outside the box) and put back
    assert timezone.localtime(night.occurred_at).hour == 22  # read as local time
    assert Report.objects.get(title="Extorsión").occurred_at.date().isoformat() == "2026-03-05"
    assert night.public_lat is not None and night.public_lat != night.lat  # projection computed


def test_rerunning_the_same_file_does_not_duplicate(admin_user, survey, category, run_import):
    first = run_import(admin_user, CSV.encode())
    second = run_import(admin_user, CSV.encode("utf-16"))  # same rows, other encoding
    assert first.created_count == 3 and second.created_count == 0 and second.duplicate_count == 3
    assert Report.objects.count() == 3


def test_every_rejected_row_is_reported_with_its_reason(admin_user, survey, category,
                                                        run_import):
    bad = CSV + ("Sin fecha válida,31/31/2026,14,-87,Robo,1\n"
                 "Fuera de rango,01/03/2026,95,200,Robo,1\n"
                 "Categoría rara,01/03/2026,14,-87,Ovnis,1\n"
                 "Demasiadas celdas,01/03/2026,14,-87,Robo,1,extra\n"
                 "Víctimas mal,01/03/2026,14,-87,Robo,muchas\n"
                 ",01/03/2026,14,-87,Robo,1\n"
                 "Futuro,01/03/2099,14,-87,Robo,1\n")
    imp = run_import(admin_user, bad.encode())
    assert imp.created_count == 4 and imp.rejected_count == 6, imp.errors
    reasons = {e["row"]: e["reason"] for e in imp.errors}
    assert "31/31/2026" in reasons[5] and "out of range" in reasons[6]
    assert "Ovnis" in reasons[7] and "7 cells" in reasons[8] and "muchas" in reasons[9]
    assert 10 not in reasons and Report.objects.filter(title="Incidentes").exists()  # survey name as title
    assert "future" in reasons[11]
    assert imp.errors[0]["values"][0] == "Sin fecha válida"


def test_short_rows_are_padded_and_semicolons_detected(admin_user, category, run_import):
    data = "Título;Lugar;Fecha\nUno;Comayagüela\nDos;;02/03/2026\n".encode("cp1252")
    imp = run_import(admin_user, data, {"columns": {"Título": "title", "Lugar": "place_name",
                                                    "Fecha": "occurred_at"}, "date_order": "dmy"})
    assert imp.created_count == 2, imp.errors
    assert Report.objects.get(title="Uno").place_name == "Comayagüela"


def test_xlsx_import_with_real_dates_and_bbox_swap(admin_user, category, run_import):
    from datetime import datetime

    data = write_xlsx({"Hoja": [["Title", "Date", "Coordinates"],
                                ["Uno", datetime(2026, 2, 1, 9, 30), "-87.2, 14.1"],
                                ["Dos", datetime(2026, 2, 2), "14.1 -87.2"]]})
    imp = run_import(admin_user, data, {"columns": {"Title": "title", "Date": "occurred_at",
                                                    "Coordinates": "latlon"},
                                        "bbox": [12.9, -89.4, 16.5, -83.1]}, name="x.xlsx")
    assert imp.created_count == 2, imp.errors
    uno = Report.objects.get(title="Uno")
    assert (uno.lat, uno.lon) == (14.1, -87.2) and timezone.localtime(uno.occurred_at).hour == 9
    assert Report.objects.get(title="Dos").lat == 14.1


USHAHIDI = ("Post ID,Survey,Post Status,Created (UTC),Updated (UTC),Post Date (UTC),Contact ID,Contact,Sets,"
            "Title,Description,Location.lat,Location.lon,Categories,Tipo de arma\n"
            "101,Incidentes,published,2017-02-22 10:00:00,2017-02-22 10:00:00,2017-02-21 08:30:00,,,"
            ",Bloqueo de carretera,Manifestantes bloquean la CA-5,14.5,-87.6,\"Robo, Protestas\",ninguna\n")


def test_ushahidi_preset_maps_its_export(admin_user, category, django_capture_on_commit_callbacks):
    imp = importing.create_import(actor=admin_user, name="ushahidi.csv", data=USHAHIDI.encode())
    assert imp.mapping["preset"] == "ushahidi"
    assert imp.mapping["columns"]["Post Date (UTC)"] == "occurred_at"
    assert imp.mapping["columns"]["Location.lat"] == "lat"
    with django_capture_on_commit_callbacks(execute=True):
        importing.start(actor=admin_user, imp=imp)
    report = Report.objects.get()
    assert report.title == "Bloqueo de carretera" and (report.lat, report.lon) == (14.5, -87.6)
    # "Robo" is the existing category; "Protestas" is created once (Ushahidi's categories come along)
    assert report.occurred_at.day == 21 and {c.name_es for c in report.categories.all()} == {"Robo", "Protestas"}
    assert report.custom_values["_external_id"] == "101" and report.status == Report.Status.PUBLISHED
    assert report.custom_values["_import_extra"]["Tipo de arma"] == "ninguna"  # nothing lost


def test_preview_shows_values_and_errors(admin_user, survey, category):
    imp = importing.create_import(actor=admin_user, name="d.csv", data=(CSV + "Malo,nunca,1,1,Robo,1\n").encode())
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json=MAPPING)
    rows = importing.preview(imp)
    assert [r["row"] for r in rows] == [2, 3, 4, 5]
    assert rows[0]["result"]["title"] == "Robo en mercado" and rows[0]["error"] == ""
    assert "nunca" in rows[3]["error"]


def test_mapping_naming_a_missing_column_is_refused(admin_user):
    from django.core.exceptions import ValidationError

    imp = importing.create_import(actor=admin_user, name="d.csv", data=CSV.encode())
    with pytest.raises(ValidationError, match="no column"):
        importing.set_mapping(actor=admin_user, imp=imp, mapping_json={"columns": {"Nope": "title"}})


def test_binary_junk_is_refused(admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        importing.create_import(actor=admin_user, name="d.xlsx", data=b"PK\x03\x04garbage")


def test_moderator_cannot_import(moderator):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        importing.create_import(actor=moderator, name="d.csv", data=CSV.encode())


def test_date_formats_in_the_mapping_come_first():
    moment = mapping.parse_datetime("03/01/2026", ["%m/%d/%Y"] + mapping.DATE_FORMATS)
    assert (moment.month, moment.day) == (3, 1)


def test_a_latitude_beyond_90_is_read_as_swapped():
    assert mapping.fix_location(-100.5, 19.4, None) == (19.4, -100.5)
    with pytest.raises(mapping.RowError):
        mapping.fix_location(95, 200, None)


def test_file_over_the_limit_is_refused(admin_user, settings):
    from django.core.exceptions import ValidationError

    settings.SURVEY_IMPORT_MAX_MB = 1
    with pytest.raises(ValidationError, match="1 MB"):
        importing.create_import(actor=admin_user, name="d.csv", data=b"a,b\n" * 300_000)


def test_progress_is_saved_after_every_batch_with_its_rejected_rows(admin_user, survey, category, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 2)
    rows = "".join(f"Fila {i},01/03/2026,14.08,-87.2,{'Robo' if i != 3 else 'Ovnis'},1\n" for i in range(7))
    imp = importing.create_import(actor=admin_user, name="b.csv", data=(CSV.splitlines()[0] + "\n" + rows).encode())
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json=MAPPING)
    seen = []

    def progress(current):
        saved = Import.objects.get(pk=current.pk)  # what the progress page reads
        seen.append((saved.processed_rows, saved.rejected_count, saved.created_count))

    done = importing.run(import_id=imp.pk, progress=progress)
    assert seen == [(2, 0, 2), (4, 1, 3), (6, 1, 5), (7, 1, 6)]
    assert done.created_count == 6 and done.errors[0]["row"] == 5 and "Ovnis" in done.errors[0]["reason"]


def test_a_colliding_reference_is_drawn_again(admin_user, survey, category, monkeypatch, run_import, tmp_path,
                                              converter):
    import os

    from testigo.reports import bulk
    from testigo.reports import services as report_services

    taken = report_services.create_report(title="Antes", description="d", actor=None).reference
    real, calls, flag = bulk.new_references, [], str(tmp_path / "collided")

    def colliding(n):  # the first draw, in whichever process makes it, repeats a taken reference
        calls.append(n)
        try:
            os.close(os.open(flag, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return real(n)
        return [taken, *real(n)[1:]]

    monkeypatch.setattr(bulk, "new_references", colliding)
    imp = run_import(admin_user, CSV.encode())
    # Three drawn, then three drawn again here after the collision (a forked child made the first draw).
    assert imp.created_count == 3 and calls == ([3, 3] if converter == "here" else [3])
    imported = Report.objects.filter(source="import")
    assert taken not in {r.reference for r in imported} and len({r.reference for r in imported}) == 3


def test_a_rerun_of_the_same_import_skips_known_rows_before_converting_them(admin_user, survey, category,
                                                                           monkeypatch, run_import, converter):
    bad = CSV + "Fuera de rango,01/03/2026,95,200,Robo,1\n"
    imp = run_import(admin_user, bad.encode())
    assert (imp.created_count, imp.rejected_count) == (3, 1)
    converted, real = [], mapping.convert
    monkeypatch.setattr(mapping, "convert", lambda prepared, cells: converted.append(cells[0]) or real(prepared, cells))
    again = importing.run(import_id=imp.pk)
    assert (again.created_count, again.duplicate_count, again.rejected_count) == (0, 3, 1)
    assert Report.objects.count() == 3
    if converter == "here":  # only the rejected row is converted again (it may have been fixed meanwhile)
        assert converted == ["Fuera de rango"]


def test_an_internal_error_fails_the_import_with_a_message_and_keeps_what_was_written(
        admin_user, survey, category, monkeypatch, converter):
    monkeypatch.setattr(importing, "BATCH", 2)
    break_conversion(monkeypatch, "Extorsión", KeyError("a bug"))
    imp = importing.create_import(actor=admin_user, name="d.csv", data=CSV.encode())
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json=MAPPING)
    done = importing.run(import_id=imp.pk)  # no exception: the worker goes on with its next job
    assert done.status == Import.Status.FAILED and done.created_count == 2
    assert "stopped after 2 rows because of an internal error" in done.errors[-1]["reason"]
    assert Import.objects.get(pk=imp.pk).status == Import.Status.FAILED


def test_references_have_the_reference_format_and_use_every_symbol():
    import re
    from collections import Counter

    from testigo.reports.references import REFERENCE_ALPHABET, new_references

    references = new_references(4000)
    assert len(set(references)) == 4000  # 40 random bits each
    assert all(re.fullmatch(rf"T-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}", r) for r in references)
    symbols = Counter("".join(r[2:6] + r[7:] for r in references))
    assert set(symbols) == set(REFERENCE_ALPHABET)
    assert max(symbols.values()) < 1.3 * min(symbols.values())  # 32,000 draws: uniform within noise


@pytest.mark.django_db
def test_bulk_insert_gives_ids_in_row_order_and_never_reuses_one():
    from testigo.reports import bulk

    deleted = report_services.create_report(title="Borrado", description="d", actor=None)
    deleted_id = deleted.pk
    deleted.delete()  # its id is never given again (AUTOINCREMENT's rule, a sequence's on PostgreSQL)
    projection, columns = bulk.projection_settings(), bulk.ReportColumns()
    template = columns.stamp()
    # Three INSERT statements, the rows sorted by tile (north to south here), not in this order.
    rows = [bulk.report_row({"title": f"t{i}", "description": "d", "lat": 13.0 + (i % 7) / 3, "lon": -87.0,
                             "source": "import"}, None, projection) for i in range(1200)]
    ids = bulk.insert_reports([columns.params(row, template) for row in rows], columns)
    stored = {r.reference: r.pk for r in Report.objects.filter(source="import")}
    assert [stored[row["reference"]] for row in rows] == ids  # each row's own id, in the rows' order
    assert len(set(ids)) == 1200 and min(ids) > deleted_id
    by_tile = sorted(range(1200), key=lambda i: rows[i]["tile_key"])
    assert [ids[i] for i in by_tile] == sorted(ids)  # given in tile order


@pytest.mark.django_db
def test_the_bulk_writer_always_counts_what_it_inserts_on_the_map():
    from django.db.models import Sum

    from testigo.geo.models import ClusterCount
    from testigo.reports import bulk, counts

    projection, columns = bulk.projection_settings(), bulk.ReportColumns()
    template = columns.stamp()
    rows = [bulk.report_row({"title": f"t{i}", "description": "d", "lat": 14.0 + i / 1000, "lon": -87.2,
                             "source": "import", "status": "published"}, None, projection) for i in range(30)]
    bulk.insert_reports([columns.params(row, template) for row in rows], columns)
    for scope in (counts.STAFF, counts.PUBLIC):
        stored = ClusterCount.objects.filter(scope=scope, level=counts.TOP, category=counts.ALL)
        assert stored.aggregate(n=Sum("n"))["n"] == 30
    kept = list(ClusterCount.objects.order_by("scope", "category", "level", "cell", "part").values_list())
    counts.rebuild()  # what a rebuild from the reports table finds is what the bulk writer kept
    rebuilt = list(ClusterCount.objects.order_by("scope", "category", "level", "cell", "part").values_list())
    assert [row[:6] for row in kept] == [row[:6] for row in rebuilt]


def test_repeated_category_cells_give_each_row_its_categories_and_reject_each_unknown_one(
        admin_user, survey, category, run_import):
    """Each distinct category cell is read once per import (mapping._categories): every row
    still gets its own categories, each row naming an unknown category is rejected, and the
    map's counts are exactly what a rebuild from the reports table finds."""
    from django.conf import settings

    from testigo.geo.fuzz import fuzz
    from testigo.geo.models import ClusterCount
    from testigo.reports import counts
    from testigo.reports.models import Category

    other = Category.objects.create(slug="extorsion", name_es="Extorsión", name_en="Extortion")
    rows = [f"Robo {i},01/03/2026,{14 + i / 100},-87.2,{cell},1"
            for i, cell in enumerate(["Robo", "Robo", "Robo; Extorsión", "Cohecho", "Robo; Extorsión",
                                      "Cohecho", "Extorsión"])]
    imp = run_import(admin_user, ("Título,Fecha,Lat,Lon,Categoría,Víctimas\n" + "\n".join(rows) + "\n").encode())
    assert (imp.created_count, imp.rejected_count) == (5, 2)
    assert sorted(e["row"] for e in imp.errors) == [5, 7] and all("Cohecho" in e["reason"] for e in imp.errors)
    linked = {r.title: sorted(c.slug for c in r.categories.all()) for r in Report.objects.all()}
    assert linked == {"Robo 0": [category.slug], "Robo 1": [category.slug],
                      "Robo 2": sorted([category.slug, other.slug]), "Robo 4": sorted([category.slug, other.slug]),
                      "Robo 6": [other.slug]}
    points = {(r.lat, r.lon): (r.public_lat, r.public_lon) for r in Report.objects.all()}
    assert all(points[true] == fuzz(lat=true[0], lon=true[1], radius_m=settings.FUZZ_RADIUS_M,
                                    secret=settings.SECRET_KEY) for true in points)
    def rows():  # sums of coordinates kept per cell: equal up to float rounding (PostgreSQL adds in another order)
        return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in
                ClusterCount.objects.order_by("scope", "category", "level", "cell", "part").values_list()]

    kept = rows()
    counts.rebuild()
    assert kept == rows()
