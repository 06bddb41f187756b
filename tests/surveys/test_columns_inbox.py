"""Survey answers in the staff inbox: columns with bilingual labels, filters on the answers
(in the database, SQLite and PostgreSQL), roles respected, no query per row; and the
export columns the staff CSV export adds (testigo.surveys.columns)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from testigo.core import roles
from testigo.reports import services as report_services
from testigo.reports.models import Category, Report
from testigo.surveys import columns
from tests.surveys.conftest import ALL_TYPES_FIELDS, lbl

pytestmark = pytest.mark.django_db

# A question whose name is also a Django lookup: it must stay a JSON key.
FIELDS = [*ALL_TYPES_FIELDS, {"name": "contains", "type": "text", "label": lbl("Contiene", "Contains")}]


@pytest.fixture
def cat_survey(admin_user, category):
    from testigo.surveys import services

    return services.create_survey(actor=admin_user, name_es="Incidentes", name_en="Incidents",
                                  fields=[dict(f) for f in FIELDS], form_id="incidentes", category=category)


@pytest.fixture
def other_survey(admin_user):
    from testigo.surveys import services

    fields = [{"name": "arma", "type": "text", "label": lbl("Arma (otra)", "Weapon (other)")}]
    return services.create_survey(actor=admin_user, name_es="Otra", fields=fields, form_id="otra")


def answers(survey, **values) -> dict:
    return {"_survey": survey.pk, **values}


@pytest.fixture
def filled(report_factory, cat_survey, other_survey):
    """Reports of the category: three with the survey's answers, one of another survey using
    the same field name, one without answers; and one report in another category."""
    fire = Category.objects.create(slug="incendio", name_es="Incendio", name_en="Fire")
    return {
        "armed": report_factory(title="Con armas", custom_values=answers(
            cat_survey, titulo="Asalto", relato="Hablaron de la Educación pública", victimas=3, monto=10.5,
            arma="si", tipo_arma=["fuego", "blanca"], fecha="2026-03-01", hora="10:30:00",
            momento="2026-03-01T10:30:00", lugar={"lat": 14.07, "lon": -87.19}, foto="f1.jpg",
            adjunto="acta.pdf", contains="x")),
        "unarmed": report_factory(title="Sin armas", custom_values=answers(
            cat_survey, titulo="Robo", relato="Nada especial", victimas=0, arma="no", fecha="2026-04-10",
            momento="2026-04-10T23:59:00")),
        "knife": report_factory(title="Cuchillo", custom_values=answers(
            cat_survey, arma="si", tipo_arma=["blanca"], victimas=1, fecha="2026-03-15")),
        "foreign": report_factory(title="Otra encuesta", custom_values=answers(other_survey, arma="si")),
        "bare": report_factory(title="Sin respuestas", custom_values={}),
        "elsewhere": report_factory(title="Incendio", categories=[fire],
                                    custom_values=answers(cat_survey, arma="si")),
    }


def client_for(make_user, role: str, lang: str = "") -> Client:
    client = Client()
    if lang:
        client.cookies["django_language"] = lang
    client.force_login(make_user(role, username=f"{role}-{lang or 'es'}"))
    return client


def refs(response) -> set[str]:
    assert response.status_code == 200
    return {r.reference for r in response.context["page"].object_list}


def row_of(response, report) -> dict[str, str]:
    """heading -> cell text of one report's row."""
    headings = [c.heading for c in response.context["answer_columns"]]
    row = next(r for r in response.context["page"].object_list if r.pk == report.pk)
    return dict(zip(headings, [c.text for c in row.answer_cells], strict=True))


def test_category_with_a_survey_shows_its_answers_as_columns_in_spanish(make_user, category, filled):
    client = client_for(make_user, roles.MODERATOR)
    response = client.get(f"/console/?category={category.pk}")
    html = response.content.decode()
    assert "<th class=\"answer\">¿Hubo armas?</th>" in html and "Tipo de arma" in html
    row = row_of(response, filled["armed"])
    assert row["¿Hubo armas?"] == "Sí"  # the choice's label, not its name
    assert row["Tipo de arma"] == "De fuego, Blanca"
    assert row["Lugar"] == "14.07,-87.19"
    assert row["Víctimas"] == "3" and row["Fecha"] == "2026-03-01"
    # A file answer is a link to the report page, where staff see it.
    link = f'<a href="/console/r/{filled["armed"].reference}/">f1.jpg</a>'
    assert link in html
    # Answer filters are offered for this survey, labelled in Spanish.
    arma = response.context["form"]["a-arma"]
    assert arma.label == "¿Hubo armas?" and '<option value="si">Sí</option>' in str(arma)
    assert "Gracias" not in [c.heading for c in response.context["answer_columns"]]  # a note holds no value


def test_headings_and_choices_follow_the_staff_language(make_user, category, filled):
    response = client_for(make_user, roles.MODERATOR, "en").get(f"/console/?category={category.pk}")
    row = row_of(response, filled["armed"])
    assert row["Weapons?"] == "Yes" and row["Weapon type"] == "Firearm, Knife"
    assert '<option value="si">Yes</option>' in response.content.decode()


def test_no_survey_no_answer_columns(make_user, filled):
    client = client_for(make_user, roles.MODERATOR)
    response = client.get("/console/")
    assert response.context["answer_columns"] == [] and "a-arma" not in response.context["form"].fields
    assert len(refs(response)) == 6
    fire = Category.objects.get(slug="incendio")
    assert client.get(f"/console/?category={fire.pk}").context["answer_columns"] == []


def test_choosing_a_survey_narrows_to_its_answers_and_shows_its_columns(make_user, cat_survey, filled):
    response = client_for(make_user, roles.MODERATOR).get(f"/console/?survey={cat_survey.pk}")
    assert refs(response) == {filled[k].reference for k in ("armed", "unarmed", "knife", "elsewhere")}
    assert row_of(response, filled["elsewhere"])["¿Hubo armas?"] == "Sí"
    assert response.context["total"] == 4  # the tabs count the same reports


def test_other_reports_of_the_category_get_empty_cells(make_user, category, filled):
    response = client_for(make_user, roles.MODERATOR).get(f"/console/?category={category.pk}")
    assert filled["foreign"].reference in refs(response) and filled["bare"].reference in refs(response)
    # Another survey's "arma" is not shown under this survey's "arma" column.
    assert set(row_of(response, filled["foreign"]).values()) == {""}
    assert set(row_of(response, filled["bare"]).values()) == {""}


@pytest.mark.parametrize("query, expected", [
    ("a-arma=si", {"armed", "knife"}),
    ("a-arma=no", {"unarmed"}),
    ("a-tipo_arma=blanca", {"armed", "knife"}),
    ("a-tipo_arma=fuego", {"armed"}),
    ("a-relato=educación", {"armed"}),  # accents kept, case ignored
    ("a-relato=Educaci%C3%B3n+p%C3%BAblica", {"armed"}),
    ("a-titulo=rob", {"unarmed"}),
    ("a-victimas-min=1", {"armed", "knife"}),
    ("a-victimas-min=1&a-victimas-max=2", {"knife"}),
    ("a-victimas-max=0", {"unarmed"}),
    ("a-monto-min=10.5", {"armed"}),
    ("a-fecha-min=2026-03-02&a-fecha-max=2026-04-10", {"knife", "unarmed"}),
    ("a-momento-max=2026-04-10", {"armed", "unarmed"}),  # the whole last day
    ("a-momento-min=2026-03-02", {"unarmed"}),
    ("a-contains=x", {"armed"}),  # a question named like a lookup is still a JSON key
    ("a-arma=si&a-victimas-min=2", {"armed"}),
])
def test_answer_filters_narrow_in_the_database(make_user, category, filled, query, expected):
    response = client_for(make_user, roles.MODERATOR).get(f"/console/?category={category.pk}&{query}")
    assert refs(response) == {filled[k].reference for k in expected}
    assert response.context["total"] == len(expected)  # status tabs agree with the list


def test_answer_filter_ignores_other_surveys_with_the_same_field(make_user, category, filled, other_survey):
    response = client_for(make_user, roles.MODERATOR).get(f"/console/?category={category.pk}&a-arma=si")
    assert filled["foreign"].reference not in refs(response)


def test_viewer_without_contact_rights_sees_answers_not_contact(make_user, category, filled):
    assert roles.SEE_CONTACT not in roles.MATRIX[roles.ANALYST]
    assert roles.VIEW in roles.MATRIX[roles.ANALYST]
    response = client_for(make_user, roles.ANALYST).get(f"/console/?category={category.pk}&a-arma=si")
    html = response.content.decode()
    assert refs(response) == {filled["armed"].reference, filled["knife"].reference}
    assert row_of(response, filled["armed"])["Tipo de arma"] == "De fuego, Blanca"
    assert "+504 9999-0000" not in html and "María" not in html


def test_confidential_reports_do_not_leak_through_answer_filters(make_user, admin_user, category, cat_survey,
                                                                  filled):
    secret = filled["armed"]
    report_services.update_report(report=secret, actor=admin_user, visibility=Report.Visibility.CONFIDENTIAL)
    assert roles.VIEW_CONFIDENTIAL not in roles.MATRIX[roles.VOLUNTEER]
    response = client_for(make_user, roles.VOLUNTEER).get(f"/console/?category={category.pk}&a-tipo_arma=fuego")
    assert refs(response) == set() and response.context["total"] == 0
    assert "f1.jpg" not in response.content.decode()
    allowed = client_for(make_user, roles.MODERATOR).get(f"/console/?category={category.pk}&a-tipo_arma=fuego")
    assert refs(allowed) == {secret.reference}


def test_anonymous_visitors_are_sent_to_login(client, category, filled):
    response = client.get(f"/console/?category={category.pk}&a-arma=si")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_no_query_per_row(make_user, category, cat_survey, report_factory, django_assert_max_num_queries):
    client = client_for(make_user, roles.MODERATOR)
    url = f"/console/?category={category.pk}&a-arma=si"
    values = answers(cat_survey, arma="si", tipo_arma=["fuego"], lugar={"lat": 1, "lon": 2}, foto="a.jpg")
    for _ in range(2):
        report_factory(custom_values=values)
    with CaptureQueriesContext(connection) as few:
        assert len(refs(client.get(url))) == 2
    for _ in range(28):
        report_factory(custom_values=values)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(refs(client.get(url))) == 30


@pytest.mark.parametrize("query, message", [
    ("a-victimas-min=tres", "Enter a whole number."),
    ("a-monto-max=1e999", "Enter a number."),
    ("a-fecha-min=2026-13-45", "Enter a valid date."),
    ("a-arma=quizas", "Select a valid choice."),
    ("survey=abc", "Select a valid choice."),
    ("a-relato=" + "x" * 201, "Ensure this value has at most 200 characters"),
])
def test_bad_answer_filter_is_a_form_error_not_a_500(make_user, category, filled, query, message):
    response = client_for(make_user, roles.MODERATOR, "en").get(f"/console/?category={category.pk}&{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    # The invalid filter is left out; the valid one (the category) still applies.
    assert filled["elsewhere"].reference not in refs(response) and filled["armed"].reference in refs(response)


def test_answers_page_filters_several_choices_in_the_database(make_user, cat_survey, filled):
    client = client_for(make_user, roles.MODERATOR)
    page = client.get(f"/console/surveys/{cat_survey.pk}/data/?field=tipo_arma&value=blanca")
    assert page.context["count"] == 2
    assert client.get(f"/console/surveys/{cat_survey.pk}/data/?field=tipo_arma&value=nada").context["count"] == 0


# --- export_columns: what the staff CSV export adds ------------------------------------------

def test_export_columns_in_both_languages(cat_survey, other_survey):
    spanish = columns.export_columns(cat_survey, "es")
    english = columns.export_columns(cat_survey, "en")
    assert [h for h, _cell in spanish][:6] == ["Título", "Relato", "Víctimas", "Monto", "¿Hubo armas?", "Tipo de arma"]
    assert [h for h, _cell in english][4:6] == ["Weapons?", "Weapon type"]
    assert "Gracias" not in [h for h, _cell in spanish]  # notes hold no value
    values = answers(cat_survey, arma="si", tipo_arma=["fuego", "blanca"], lugar={"lat": 14.5, "lon": -87.25},
                     victimas=2, adjunto="acta.pdf", titulo="=HYPERLINK(\"http://x\")", monto=-3.5)
    es_cells = {h: cell(values) for h, cell in spanish}
    en_cells = {h: cell(values) for h, cell in english}
    assert es_cells["¿Hubo armas?"] == "Sí" and en_cells["Weapons?"] == "Yes"
    assert es_cells["Tipo de arma"] == "De fuego, Blanca" and en_cells["Weapon type"] == "Firearm, Knife"
    assert es_cells["Lugar"] == "14.5,-87.25" and es_cells["Víctimas"] == "2" and es_cells["Archivo"] == "acta.pdf"
    assert es_cells["Título"] == "'=HYPERLINK(\"http://x\")" and es_cells["Monto"] == "-3.5"  # formula defused
    assert es_cells["Hora"] == ""
    # Another survey's answers, or none at all, give empty cells rather than an error.
    for other in (answers(other_survey, arma="si"), {}, None):
        assert {cell(other) for _h, cell in spanish} == {""}


def test_export_headers_stay_unique_when_labels_repeat(admin_user):
    from testigo.surveys import services

    survey = services.create_survey(actor=admin_user, name_es="Dos", form_id="dos", fields=[
        {"name": "a", "type": "text", "label": lbl("Nombre")}, {"name": "b", "type": "text", "label": lbl("Nombre")}])
    assert [h for h, _cell in columns.export_columns(survey, "es")] == ["Nombre (a)", "Nombre (b)"]


def test_report_page_shows_answers_by_question_and_choice_label(make_user, filled):
    client = client_for(make_user, "moderator")
    response = client.get(reverse("console:report", args=[filled["armed"].reference]))
    answers = dict(response.context["answers"])
    assert answers["¿Hubo armas?"] == "Sí"  # the choice's label, not its stored name "si"
    assert answers["Tipo de arma"] == "De fuego, Blanca"
    assert "_survey" not in response.content.decode()  # bookkeeping keys stay hidden
    assert "<dt>¿Hubo armas?</dt><dd>Sí</dd>" in response.content.decode()


def _csv_rows(response) -> list[dict]:
    import csv
    import io

    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_staff_csv_export_of_a_survey_category_has_the_answer_columns(client, make_user, category, filled):
    from testigo.api import services as token_services

    coordinator = make_user("coordinator")
    _token, raw = token_services.create_token(user=coordinator, name="t", scope="read", actor=coordinator)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "es"}
    rows = {r["reference"]: r for r in _csv_rows(client.get(f"/api/v1/reports.csv?category={category.slug}", **auth))}
    armed = rows[filled["armed"].reference]
    assert armed["¿Hubo armas?"] == "Sí" and armed["Tipo de arma"] == "De fuego, Blanca"
    assert armed["Víctimas"] == "3"
    assert rows[filled["foreign"].reference]["¿Hubo armas?"] == ""  # another survey's same-named field
    # Without a one-category filter there is no survey to take columns from.
    assert "¿Hubo armas?" not in _csv_rows(client.get("/api/v1/reports.csv", **auth))[0]
    # The public export never gets answers.
    public = client.get(f"/api/v1/reports.csv?category={category.slug}")
    assert all("¿Hubo armas?" not in row for row in _csv_rows(public))
