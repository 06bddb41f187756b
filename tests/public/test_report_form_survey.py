"""A category's survey adds its questions to the public report form, without JavaScript."""

import pytest

from testigo.reports.models import Report
from testigo.surveys import services as survey_services

pytestmark = pytest.mark.django_db

FIELDS = [
    {"name": "armas", "type": "select_one", "label": {"es": "¿Había armas?", "en": "Were there weapons?"},
     "choices": [{"name": "si", "label": {"es": "Sí", "en": "Yes"}}, {"name": "no", "label": {"es": "No", "en": "No"}}],
     "required": True},
    {"name": "personas", "type": "integer", "label": {"es": "¿Cuántas personas?", "en": "How many people?"}},
]


@pytest.fixture
def survey(admin_user, category):
    return survey_services.create_survey(actor=admin_user, name_es="Robos", fields=FIELDS, form_id="robos",
                                         category=category)


def test_choosing_a_category_shows_its_questions_and_keeps_what_was_typed(en_client, survey, form_data):
    response = en_client.post("/report/", {**form_data, "show_questions": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Were there weapons?" in html and "How many people?" in html
    assert form_data["description"] in html  # nothing typed is lost
    assert not Report.objects.exists()  # showing the questions saves nothing


def test_survey_answers_are_stored_with_the_report(en_client, survey, form_data):
    response = en_client.post("/report/", {**form_data, "survey__armas": "si", "survey__personas": "3"})
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    flat = repr(report.custom_values)
    assert "'si'" in flat and "3" in flat


def test_a_missing_required_answer_is_refused_and_the_form_kept(en_client, survey, form_data):
    response = en_client.post("/report/", {**form_data, "survey__personas": "3"})
    assert response.status_code == 200
    assert "Were there weapons?" in response.content.decode()
    assert not Report.objects.exists()


def test_the_form_has_no_survey_questions_for_a_category_without_one(en_client, form_data):
    html = en_client.get("/report/").content.decode()
    assert "survey__" not in html and "show_questions" not in html
