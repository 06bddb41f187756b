"""The citizen report form: happy path without JavaScript, and every kind of bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from testigo.reports.models import Media, Report
from tests.conftest import speak_english

URL = "/report/"


def post(client, data, files=None):
    payload = dict(data)
    if files:
        payload["photos"] = files
    return client.post(URL, payload)


def errors_of(response, field):
    return response.context["form"].errors.get(field, [])


def test_form_page_offers_grouped_categories_and_photo_input(en_client, category):
    html = en_client.get(URL).content.decode()
    assert '<optgroup label="Crime">' in html
    assert f'<option value="{category.pk}">Robbery</option>' in html
    assert 'type="file" name="photos" accept="image/*" multiple' in html
    assert 'name="lat"' in html and "<details" in html  # coordinates usable without JavaScript


def test_valid_post_creates_a_new_report_and_shows_its_reference(en_client, form_data, category):
    response = post(en_client, form_data)
    assert response.status_code == 302
    # The reference travels in the session, never in the URL.
    assert response["Location"] == reverse("public:report_thanks")
    report = Report.objects.get()
    assert report.status == Report.Status.NEW
    assert report.source == "web" and report.language == "en"
    assert list(report.categories.all()) == [category]
    assert report.place_name == "Colonia Kennedy, Tegucigalpa"
    assert timezone.localtime(report.occurred_at).strftime("%H:%M") == "18:30"
    thanks = en_client.get(response["Location"])
    assert report.reference in thanks.content.decode()


def test_thank_you_page_without_a_report_sends_back_to_the_form(en_client):
    response = en_client.get(reverse("public:report_thanks"))
    assert response.status_code == 302 and response["Location"] == URL


def test_pin_coordinates_and_contact_are_stored(en_client, form_data):
    form_data.update(lat="14.0723", lon="-87.1921", place_name="", reporter_name="Ana",
                     reporter_contact="+504 9999-0000")
    assert post(en_client, form_data).status_code == 302
    report = Report.objects.get()
    assert (report.lat, report.lon) == (14.0723, -87.1921)
    assert report.reporter_contact == "+504 9999-0000" and report.reporter_name == "Ana"


def test_photo_is_attached_as_a_sanitised_copy(en_client, form_data, make_image):
    upload = SimpleUploadedFile("foto.png", make_image("PNG"), content_type="image/png")
    assert post(en_client, form_data, [upload]).status_code == 302
    media = Media.objects.get()
    assert media.content_type == "image/png" and not media.is_public


@pytest.mark.parametrize("field", ["title", "description", "occurred_date"])
def test_missing_required_field_is_reported_and_the_rest_is_kept(en_client, form_data, field):
    form_data[field] = ""
    response = post(en_client, form_data)
    assert response.status_code == 200 and Report.objects.count() == 0
    assert errors_of(response, field) == ["This field is required."]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html and 'aria-invalid="true"' in html
    assert "Dos hombres armados" in html or field == "description"
    assert 'value="Colonia Kennedy, Tegucigalpa"' in html


def test_too_long_title_is_refused(en_client, form_data):
    form_data["title"] = "x" * 201
    response = post(en_client, form_data)
    assert "at most 200 characters" in errors_of(response, "title")[0]
    assert Report.objects.count() == 0


def test_date_in_the_future_is_refused(en_client, form_data):
    form_data["occurred_date"] = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = post(en_client, form_data)
    assert errors_of(response, "occurred_date") == ["The date cannot be in the future."]


def test_later_today_is_refused(en_client, form_data):
    later = timezone.localtime() + timedelta(hours=2)
    if later.date() != timezone.localdate():
        pytest.skip("too close to midnight for a same-day future time")
    form_data.update(occurred_date=later.date().isoformat(), occurred_time=later.strftime("%H:%M"))
    response = post(en_client, form_data)
    assert errors_of(response, "occurred_time") == ["The time cannot be in the future."]


@pytest.mark.parametrize("lat,lon,field", [("91", "10", "lat"), ("10", "-181", "lon"), ("abc", "10", "lat")])
def test_coordinates_out_of_range_are_refused(en_client, form_data, lat, lon, field):
    form_data.update(lat=lat, lon=lon)
    response = post(en_client, form_data)
    assert errors_of(response, field) and Report.objects.count() == 0
    assert "<details class=\"coords\" open>" in response.content.decode()


def test_only_one_coordinate_is_refused(en_client, form_data):
    form_data.update(lat="14.1")
    response = post(en_client, form_data)
    assert errors_of(response, "lon") == ["Give both latitude and longitude, or neither."]


def test_a_place_or_a_pin_is_needed(en_client, form_data):
    form_data["place_name"] = ""
    response = post(en_client, form_data)
    assert "Tell us where it happened" in errors_of(response, "place_name")[0]


def test_unknown_category_is_refused(en_client, form_data):
    form_data["category"] = "999999"
    response = post(en_client, form_data)
    assert errors_of(response, "category")
    assert Report.objects.count() == 0


@pytest.mark.parametrize("contact", ["not-an-email@", "call me", "12"])
def test_unusable_contact_is_refused(en_client, form_data, contact):
    form_data["reporter_contact"] = contact
    response = post(en_client, form_data)
    assert errors_of(response, "reporter_contact")


def test_photo_over_the_size_limit_is_refused_and_user_asked_to_attach_again(en_client, form_data, settings):
    settings.MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("grande.jpg", b"\xff\xd8" + b"0" * (1024 * 1024 + 1), content_type="image/jpeg")
    response = post(en_client, form_data, [big])
    assert errors_of(response, "photos") == ["“grande.jpg” is larger than the limit of 1 MB."]
    html = response.content.decode()
    assert "attach the photos, recordings or videos again" in html
    assert 'value="Asalto en la parada"' in html  # what was typed is kept
    assert Report.objects.count() == 0


def test_file_that_is_not_what_its_extension_says_is_refused(en_client, form_data, make_image):
    fake = SimpleUploadedFile("foto.jpg", make_image("PNG"), content_type="image/jpeg")
    response = post(en_client, form_data, [fake])
    assert "is not what its extension says" in errors_of(response, "photos")[0]
    assert "attach the photos, recordings or videos again" in response.content.decode()
    assert Report.objects.count() == 0 and Media.objects.count() == 0


def test_script_renamed_as_photo_is_refused(en_client, form_data):
    fake = SimpleUploadedFile("foto.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = post(en_client, form_data, [fake])
    assert "is not a valid image" in errors_of(response, "photos")[0]
    assert Report.objects.count() == 0


def test_too_many_photos_are_refused(en_client, form_data, settings, make_image):
    settings.MAX_UPLOAD_FILES = 2
    files = [SimpleUploadedFile(f"f{i}.png", make_image(), content_type="image/png") for i in range(3)]
    response = post(en_client, form_data, files)
    assert errors_of(response, "photos") == ["Attach at most 2 photos (you attached 3)."]
    assert Report.objects.count() == 0


def test_html_in_the_title_is_shown_escaped(en_client, form_data, admin_user):
    from testigo.reports import services

    form_data["title"] = '<script>alert("x")</script>'
    assert post(en_client, form_data).status_code == 302
    report = Report.objects.get()
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    html = en_client.get(reverse("public:report_detail", args=[report.reference])).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<script>alert("x")' not in html


def test_post_without_csrf_token_is_refused_with_an_explanation(db, form_data):
    client = speak_english(Client(enforce_csrf_checks=True))
    response = client.post(URL, form_data)
    assert response.status_code == 403
    assert "Your form expired" in response.content.decode()
    assert Report.objects.count() == 0


def test_post_with_csrf_token_is_accepted(db, form_data):
    client = Client(enforce_csrf_checks=True)
    client.get(URL)
    form_data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    assert client.post(URL, form_data).status_code == 302


def test_site_is_spanish_by_default_and_switches_to_english(client, db):
    assert '<html lang="es">' in client.get(URL).content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": URL})
    assert response.status_code == 302 and response["Location"] == URL
    html = client.get(URL).content.decode()
    assert '<html lang="en">' in html and "Send a report" in html and "Staff login" in html


def test_bad_photo_is_reported_even_when_another_field_is_wrong(en_client, form_data):
    form_data["title"] = ""
    fake = SimpleUploadedFile("foto.jpg", b"not an image", content_type="image/jpeg")
    response = post(en_client, form_data, [fake])
    assert errors_of(response, "title") and "is not a valid image" in errors_of(response, "photos")[0]
    assert 'href="#id_title"' in response.content.decode()  # the summary links to the field
