"""Each Ushahidi export is recognised and read as that version wrote it: v2's "#" file, the v3/v5
platform CSV with or without its HXL row (description-only posts accepted, statuses mapped, each
survey's "Categories" column read), and the platform's JSON posts (v3 and v5 shapes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from testigo.reports.models import Category, Report
from testigo.surveys import importing
from testigo.surveys.models import Import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

EXPORTS = Path(__file__).parent / "ushahidi_exports"


@pytest.fixture
def run(admin_user, django_capture_on_commit_callbacks):
    def run(name: str) -> Import:
        imp = importing.create_import(actor=admin_user, name=name, data=(EXPORTS / name).read_bytes())
        with django_capture_on_commit_callbacks(execute=True):
            importing.start(actor=admin_user, imp=imp)
        return Import.objects.get(pk=imp.pk)

    return run


def test_a_v2_export_with_the_hash_column_keeps_its_ids_statuses_and_categories(run):
    imp = run("v2_sample_upload.csv")
    assert imp.mapping["version"] == "v2" and imp.created_count == 2, imp.errors
    death = Report.objects.get(custom_values___external_id="1")
    assert death.title == "Suspected death in Nairobi" and death.place_name == "Nairobi"
    assert death.status == Report.Status.PUBLISHED  # APPROVED=YES (and VERIFIED=YES)
    assert {c.name_es for c in death.categories.all()} == {"DEATHS", "CIVILIANS"}
    assert Category.objects.count() == 4  # DEATHS once, though two reports name it; no empty name from ", "


@pytest.mark.parametrize("name", ["v3_csv_exporter.csv", "v3_csv_exporter_hxl.csv"])
def test_a_v3_export_with_or_without_hxl_row_accepts_description_only_posts(run, name):
    imp = run(name)
    assert imp.mapping["version"] == "v3" and imp.summary["format"] == "ushahidi-v3"
    assert (imp.total_rows, imp.created_count, imp.rejected_count) == (3, 3, 0), imp.errors
    survey_post = Report.objects.get(custom_values___external_id="1234")
    assert (survey_post.title, survey_post.description) == ("This title has content", "This is a description")
    assert survey_post.status == Report.Status.IN_REVIEW  # "draft": the client calls it "in review"
    sms = Report.objects.get(custom_values___external_id="1235")  # an unstructured post: description only
    assert (sms.title, sms.description) == ("This is a description", "This is a description")
    assert sms.reporter_contact == "123456"
    gorkha = Report.objects.get(custom_values___external_id="530")
    assert gorkha.status == Report.Status.PUBLISHED and (gorkha.lat, gorkha.lon) == (2.456, 1.234)


def test_the_platforms_json_posts_import_in_v3_and_v5_shapes(run):
    imp = run("v3_v5_api_posts.json")
    assert imp.summary["format"] == "ushahidi-json" and imp.created_count == 2, imp.errors
    v3 = Report.objects.get(custom_values___external_id="530")
    assert v3.title == "Need help" and (v3.lat, v3.lon) == (2.456, 1.234) and v3.status == Report.Status.PUBLISHED
    assert v3.reporter_contact == "rjmackay"
    v5 = Report.objects.get(custom_values___external_id="1")
    assert v5.title == "Post title" and v5.description == "Post description field"
    assert v5.occurred_at.year == 2020 and v5.occurred_at.month == 7
    assert v5.custom_values["_import_extra"]["Ushahidi category ids"] == "1, 2, 3"  # ids name no category


def test_entities_and_tags_in_v3_text_are_cleaned_and_a_long_text_makes_a_short_title(admin_user, run, tmp_path):
    text = "Puente &amp;amp; camino <b>cortados</b> en la aldea " + "muy lejos " * 12
    path = tmp_path / "long.csv"
    path.write_text("Post ID,Post Status,Post Date (UTC),Unstructured Description\n"
                    f"7,published,2024-03-01 10:00:00,\"{text}\"\n", encoding="utf-8")
    imp = importing.create_import(actor=admin_user, name="long.csv", data=path.read_bytes())
    importing.run(import_id=imp.pk)
    report = Report.objects.get()
    assert report.description.startswith("Puente & camino cortados en la aldea")
    assert len(report.title) <= 80 and report.title.endswith("…") and report.title.startswith("Puente & camino")


def test_the_command_line_prints_the_summary(admin_user, capsys):
    call_command("import", str(EXPORTS / "v2_sample_upload.csv"))
    out = capsys.readouterr().out
    assert "2 rows, 2 created, 0 already imported, 0 rejected, 0 updated" in out
    assert "Ushahidi 2 export" in out and "INCIDENT TITLE -> Title" in out
    assert "categories: 4 created, 4 names matched" in out
    call_command("import", str(EXPORTS / "v2_sample_upload.csv"))
    assert "0 created, 2 already imported" in capsys.readouterr().out and Report.objects.count() == 2


def test_the_progress_page_shows_the_summary(admin_user, client, run):
    imp = run("v3_csv_exporter_hxl.csv")
    client.force_login(admin_user)
    page = client.get(f"/console/surveys/imports/{imp.pk}/progress/").content.decode()
    assert "Ushahidi 3/5 export" in page and "Reports updated" in page
    assert "Unstructured Description" in page and "Where each column went" in page


def test_saving_the_mapping_page_keeps_updating_by_post_id_and_creating_categories(admin_user, client):
    imp = importing.create_import(actor=admin_user, name="v2.csv", data=(EXPORTS / "v2_sample_upload.csv").read_bytes())
    client.force_login(admin_user)
    page = client.get(f"/console/surveys/imports/{imp.pk}/").content.decode()
    assert 'value="create" selected' in page
    form = {f"col_{i}": target for i, target in enumerate(
        imp.mapping["columns"].get(h, "") for h in importing.header_of(imp))}
    client.post(f"/console/surveys/imports/{imp.pk}/", {**form, "survey": "", "date_format": "",
                                                         "unknown_categories": "create", "action": "save"})
    imp.refresh_from_db()
    assert imp.mapping["update_by"] == "external_id" and imp.mapping["unknown_categories"] == "create"
    assert imp.mapping["preset"] == "ushahidi" and imp.mapping["version"] == "v2"


def test_a_v2_export_with_custom_fields_media_and_reporter_keeps_them(admin_user, tmp_path):
    # v2 headers with custom fields and the reporter (lmmrssa/Ushahidi-plugin-exportreports,
    # views/export_reports/export_csv.php: "...,LONGITUDE,<custom fields>,FIRST NAME,LAST NAME,EMAIL,
    # APPROVED,VERIFIED") and with NEWS LINKS (a Libya 2011 deployment's export header).
    path = tmp_path / "v2.csv"
    path.write_text('#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,NEWS LINKS,'
                    'Armed?,FIRST NAME,LAST NAME,EMAIL,APPROVED,VERIFIED\n'
                    '"12","Checkpoint","2011-03-20 01:18:00","Misrata","Troops &amp;amp; tanks","SECURITY, ",'
                    '"32.37","15.09","http://example.org/a.jpg","yes","Ana","Ruiz","ana@example.org",NO,YES\n',
                    encoding="utf-8")
    imp = importing.create_import(actor=admin_user, name="v2.csv", data=path.read_bytes())
    importing.run(import_id=imp.pk)
    report = Report.objects.get()
    assert report.description == "Troops & tanks" and report.status == Report.Status.VERIFIED
    assert (report.reporter_name, report.reporter_contact) == ("Ana Ruiz", "ana@example.org")
    assert report.custom_values["ushahidi_media"] == "http://example.org/a.jpg"  # a link for staff
    assert report.custom_values["_import_extra"]["Armed?"] == "yes"


def test_only_a_row_of_hxl_hashtags_under_the_header_is_skipped(tmp_path):
    from testigo.surveys import tabular

    path = tmp_path / "tags.csv"
    path.write_text("Title,Hashtag,Notes\n#protesta,#cierre,\nSecond,#x,\n", encoding="utf-8")
    assert [cells[0] for _n, cells in tabular.read_csv(path).rows] == ["#protesta", "Second"]  # data, kept
    path.write_text("Title,Place,Notes\n#event +title,#loc +name,\nFirst,Here,\n", encoding="utf-8")
    assert [(n, cells[0]) for n, cells in tabular.read_csv(path).rows] == [(3, "First")]


def test_a_v3_upload_field_keeps_its_file_address_as_a_media_link(admin_user, tmp_path):
    path = tmp_path / "v3.csv"
    path.write_text("Post ID,Post Status,Post Date (UTC),Title,Description,Photo\n"
                    "9,draft,2024-03-01 10:00:00,Flood,Water rising,https://example.org/media/flood.jpg\n",
                    encoding="utf-8")
    imp = importing.create_import(actor=admin_user, name="v3.csv", data=path.read_bytes())
    importing.run(import_id=imp.pk)
    assert Report.objects.get().custom_values["ushahidi_media"] == "https://example.org/media/flood.jpg"
