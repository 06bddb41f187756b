"""Promise: an XLSForm uploaded in the console is shown as ODK Collect receives it — its form id,
version and published versions (each downloadable as uploaded), whether Testigo's web form can
render it and, if not, why; the files it still needs, until they are attached — and each
submission's answers are shown whole, repeats included, with the XML as it arrived for staff who
may export. A form the web form cannot render is never put on the public report form.

Real forms only: pyxform's own examples (tests/surveys/xlsform_corpus/pyxform/, SOURCE.md)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from testigo.core import roles
from testigo.surveys.models import Submission, Survey

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CORPUS = Path(__file__).parent / "xlsform_corpus" / "pyxform"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def upload(client, name: str, data: bytes | None = None, attachments: dict[str, bytes] | None = None):
    form = {"file": SimpleUploadedFile(name, corpus(name) if data is None else data)}
    if attachments:
        form["attachments"] = [SimpleUploadedFile(n, content) for n, content in attachments.items()]
    return client.post("/console/surveys/upload/", form, follow=True)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "JPEG")
    return out.getvalue()


def with_version(name: str, version: str) -> bytes:
    """The corpus form with `version` set in its settings sheet (added if the form has none)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(corpus(name)))
    sheet = book["settings"] if "settings" in book.sheetnames else book.create_sheet("settings")
    sheet.delete_rows(1, sheet.max_row)
    sheet.append(["version"])
    sheet.append([version])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_upload_shows_form_id_version_and_why_the_web_form_cannot_render_it(admin_client):
    response = upload(admin_client, "example_xls__choice_filter_test.xlsx")
    survey = Survey.objects.get()
    assert response.redirect_chain[-1][0] == f"/console/surveys/{survey.pk}/"
    page = text_of(response)
    assert "created from the XLSForm" in page
    assert "<code>cascading_selects1</code>" in page and "example_xls__choice_filter_test.xlsx" in page
    assert "ODK Collect / Enketo only" in page and "Web form: available" not in page
    assert "choices that depend on other answers or come from a file: <code>county</code>, <code>city</code>" in page
    assert "Add a field" not in page  # questions are the spreadsheet's: shown, never edited here
    assert "<code>county</code> <span class=\"type\">select_one</span>" in page
    listing = text_of(admin_client.get("/console/surveys/"))
    assert "Uploaded XLSForm" in listing and "ODK only" in listing


def test_a_form_the_web_form_can_render_says_so_and_offers_location_mapping(admin_client):
    page = text_of(upload(admin_client, "example_xls__gps.xls"))
    assert "Web form: available" in page and "ODK Collect / Enketo only" not in page
    assert '<select name="location_field"' in page and '<option value="location">' in page
    survey = Survey.objects.get()
    form = {"name_es": survey.name_es, "is_active": "on", "location_field": "location", "category_field": ""}
    assert admin_client.post(f"/console/surveys/{survey.pk}/", form).status_code == 302
    survey.refresh_from_db()
    assert survey.location_field == "location"


def test_missing_files_are_flagged_until_attached(admin_client):
    page = text_of(upload(admin_client, "example_xls__repeat_date_test.xls", attachments={"a.jpg": jpeg()}))
    survey = Survey.objects.get()
    assert survey.missing_files() == ["b.jpg", "happy.jpg", "sad.jpg"]  # a.jpg came with the upload
    assert "Files missing" in page and "<code>happy.jpg</code>" in page
    assert "3 files missing" in text_of(admin_client.get("/console/surveys/"))
    for name in survey.missing_files():
        admin_client.post(f"/console/surveys/{survey.pk}/media/", {"file": SimpleUploadedFile(name, jpeg())})
    assert survey.missing_files() == []
    assert "Files missing" not in text_of(admin_client.get(f"/console/surveys/{survey.pk}/"))
    assert "files missing" not in text_of(admin_client.get("/console/surveys/"))


def test_a_new_version_is_published_and_every_version_can_be_downloaded(admin_client):
    first, second = with_version("example_xls__loop.xlsx", "1"), with_version("example_xls__loop.xlsx", "2")
    upload(admin_client, "example_xls__loop.xlsx", first)
    response = upload(admin_client, "example_xls__loop.xlsx", second)
    survey = Survey.objects.get()
    page = text_of(response)
    assert "Version “2” of" in page and "published" in page
    assert survey.xform_version == "2" and survey.versions.count() == 2
    downloads = re.findall(r'href="(/console/surveys/\d+/versions/\d+/xlsform)"', page)
    assert len(downloads) == 2
    assert {admin_client.get(url).content for url in downloads} == {first, second}
    refused = upload(admin_client, "example_xls__loop.xlsx", _changed(second))
    assert refused.status_code == 400 and "already published with different content" in text_of(refused)


def _changed(data: bytes) -> bytes:
    """The same form and version with one label changed (a new upload that forgot the version)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    sheet = book["survey"]
    header = [cell.value for cell in sheet[1]]
    column = next(i for i, h in enumerate(header, start=1) if str(h).startswith("label"))
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, column).value)
    sheet.cell(row, column).value = f"{sheet.cell(row, column).value} (v2)"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def instance(survey: Survey, instance_id: str, rows: list[tuple[str, str]]) -> bytes:
    repeats = "".join(f"<repeat_test><table_list_3>{a}</table_list_3><table_list_4>{b}</table_list_4></repeat_test>"
                      for a, b in rows)
    return (f'<data id="{survey.form_id}"><generated_note_name_2/><repeat_count>{len(rows)}</repeat_count>'
            f"{repeats}<generated_note_name_8/><meta><instanceID>{instance_id}</instanceID></meta></data>").encode()


def test_submission_page_shows_each_repeat_and_the_xml_to_exporters(admin_client, device_token, moderator, client):
    upload(admin_client, "example_xls__repeat_date_test.xls")
    survey = Survey.objects.get()
    xml = instance(survey, "uuid:rep-1", [("yes", "no"), ("no", "yes"), ("yes", "yes")])
    posted = client.post(f"/odk/{device_token}/submission",
                         {"xml_submission_file": SimpleUploadedFile("submission.xml", xml, "text/xml")},
                         HTTP_X_OPENROSA_VERSION="1.0")
    assert posted.status_code == 201
    submission = Submission.objects.get()
    url = f"/console/surveys/{survey.pk}/submissions/{submission.pk}/"
    assert url in admin_client.get(f"/console/surveys/{survey.pk}/data/").content.decode()
    assert url in admin_client.get(reverse("console:report", args=[submission.report.reference])).content.decode()
    page = text_of(admin_client.get(url))
    assert "uuid:rep-1" in page and 'class="count">3</span>' in page
    for number in (1, 2, 3):
        assert f"<h4>repeat_test {number}</h4>" in page
    sections = page.split("<h4>repeat_test ")[1:]
    # Labels from the outline, choices by their labels: as the phone showed them.
    assert "Q1 <code>table_list_3</code></dt> <dd>Yes</dd>" in sections[0]
    assert "Question 2 <code>table_list_4</code></dt> <dd>No</dd>" in sections[0]
    assert "Question 2 <code>table_list_4</code></dt> <dd>Yes</dd>" in sections[1]
    xml_url = f"{url}xml"
    assert xml_url in page and admin_client.get(xml_url).content == xml
    client.force_login(moderator)  # may view reports, may not export
    assert roles.can(moderator, roles.VIEW) and not roles.can(moderator, roles.EXPORT)
    seen = client.get(url)
    assert seen.status_code == 200 and xml_url not in seen.content.decode()
    assert client.get(xml_url).status_code in (403, 404)
    assert client.get(f"/console/surveys/{survey.pk}/data/?format=xlsx").status_code == 404


def test_public_form_never_renders_an_odk_only_survey(admin_client, category, client):
    upload(admin_client, "example_xls__choice_filter_test.xlsx")
    survey = Survey.objects.get()
    admin_client.post(f"/console/surveys/{survey.pk}/", {"name_es": survey.name_es, "is_active": "on",
                                                          "category": category.pk})
    survey.refresh_from_db()
    assert survey.category == category and not survey.web_form
    page = client.get(reverse("public:report_new"), {"category": category.pk}).content.decode()
    assert "survey__" not in page and "county" not in page
    upload(admin_client, "example_xls__gps.xls")  # a form the web form can render is offered
    web = Survey.objects.get(form_id="example_xls__gps")
    admin_client.post(f"/console/surveys/{survey.pk}/", {"name_es": survey.name_es, "is_active": "on"})
    admin_client.post(f"/console/surveys/{web.pk}/", {"name_es": web.name_es, "is_active": "on",
                                                       "category": category.pk})
    assert "survey__location" in client.get(reverse("public:report_new"), {"category": category.pk}).content.decode()


def test_export_buttons_hand_the_stored_submissions_to_the_exports_module(admin_client, device_token, client,
                                                                          monkeypatch):
    """The buttons' wiring only: exports.py (written beside this page) owns the files' content."""
    import sys
    import types

    import testigo.surveys

    upload(admin_client, "example_xls__repeat_date_test.xls")
    survey = Survey.objects.get()
    for number in (1, 2):
        client.post(f"/odk/{device_token}/submission", {"xml_submission_file": SimpleUploadedFile(
            "submission.xml", instance(survey, f"uuid:exp-{number}", [("yes", "no")]), "text/xml")},
            HTTP_X_OPENROSA_VERSION="1.0")
    handed = {}
    stand_in = types.ModuleType("testigo.surveys.exports")
    stand_in.write_csv_zip = lambda s, subs, out: (handed.update(csv=sorted(subs.values_list("instance_id", flat=True))),
                                                   out.write(b"PK zip"))
    stand_in.write_xlsx = lambda s, subs, out: (handed.update(xlsx=subs.count()), out.write(b"PK xlsx"))
    stand_in.filename = lambda s, fmt: f"{s.form_id}.{'zip' if fmt == 'csv' else fmt}"
    monkeypatch.setitem(sys.modules, "testigo.surveys.exports", stand_in)
    monkeypatch.setattr(testigo.surveys, "exports", stand_in, raising=False)
    page = admin_client.get(f"/console/surveys/{survey.pk}/data/").content.decode()
    assert 'value="csv_zip"' in page and 'value="xlsx"' in page
    zipped = admin_client.get(f"/console/surveys/{survey.pk}/data/?format=csv_zip")
    assert zipped.content == b"PK zip" and zipped["Content-Type"] == "application/zip"
    assert 'filename="example_xls__repeat_date_test.zip"' in zipped["Content-Disposition"]
    assert handed["csv"] == ["uuid:exp-1", "uuid:exp-2"]
    assert admin_client.get(f"/console/surveys/{survey.pk}/data/?format=xlsx").content == b"PK xlsx"
    assert handed["xlsx"] == 2
