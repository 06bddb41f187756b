"""With JavaScript, the report form shows a category's questions as soon as the category is chosen,
and a conditional question only while its condition holds; without it, the button still works."""

from __future__ import annotations

import pytest

YES_NO = [{"name": "si", "label": {"es": "Sí", "en": "Yes"}}, {"name": "no", "label": {"es": "No", "en": "No"}}]
FIELDS = [
    {"name": "armas", "type": "select_one", "label": {"es": "¿Había armas?", "en": "Weapons?"}, "choices": YES_NO},
    {"name": "cuales", "type": "text", "label": {"es": "¿Qué armas?", "en": "Which?"},
     "relevant": {"field": "armas", "value": "si"}},
    # A chain: shown only while "cuales" is shown and answered "machete".
    {"name": "heridos", "type": "integer", "label": {"es": "¿Cuántos heridos?", "en": "Injured?"},
     "relevant": {"field": "cuales", "value": "machete"}},
    {"name": "extra", "type": "text", "label": {"es": "¿Algo más?", "en": "More?"},
     "relevant": {"field": "heridos", "value": "2"}},
]


@pytest.fixture
def survey(transactional_db, admin_user, category):
    from testigo.surveys import services as survey_services

    return survey_services.create_survey(actor=admin_user, name_es="Robos", fields=FIELDS, form_id="robos",
                                         category=category)


def _watch_errors(page) -> list:
    errors: list = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: "Refused" in msg.text and errors.append(msg.text))
    return errors


def test_promise_choosing_a_category_shows_its_questions_at_once(page, survey, category):
    errors = _watch_errors(page)
    page.goto("/report/")
    assert page.locator("[name=survey__armas]").count() == 0
    assert page.locator("button[name=show_questions]").is_hidden()  # JavaScript does it for the reporter
    page.fill("[name=title]", "Asalto en la parada")
    page.select_option("[name=category]", str(category.pk))
    page.locator("[name=survey__armas]").first.wait_for(state="visible")
    assert page.locator("[name=title]").input_value() == "Asalto en la parada"  # nothing typed is lost
    assert not errors, errors


def test_promise_a_conditional_question_is_hidden_until_its_condition_holds(page, survey, category):
    errors = _watch_errors(page)
    page.goto(f"/report/?category={category.pk}")
    which, injured, extra = (page.locator(f"[name=survey__{n}]") for n in ("cuales", "heridos", "extra"))
    assert page.locator("[name=survey__armas]").first.is_visible()
    assert which.is_hidden() and injured.is_hidden() and extra.is_hidden()
    page.check("[name=survey__armas][value=si]")
    assert which.is_visible() and injured.is_hidden()
    which.fill("machete")
    assert injured.is_visible()
    injured.fill("2.0")  # the same number as the condition's "2", as the server compares it
    assert extra.is_visible()
    page.check("[name=survey__armas][value=no]")  # hides the whole chain that hangs from it
    assert which.is_hidden() and injured.is_hidden() and extra.is_hidden()
    assert not errors, errors


def test_conditional_questions_after_choosing_a_category_are_hidden_too(page, survey, category):
    page.goto("/report/")
    page.select_option("[name=category]", str(category.pk))
    page.locator("[name=survey__armas]").first.wait_for(state="visible")
    assert page.locator("[name=survey__cuales]").is_hidden()
    page.check("[name=survey__armas][value=si]")
    assert page.locator("[name=survey__cuales]").is_visible()


def test_without_javascript_the_button_shows_the_questions(nojs_page, survey, category):
    page = nojs_page
    page.goto("/report/")
    page.select_option("[name=category]", str(category.pk))
    page.click("button[name=show_questions]")
    page.locator("[name=survey__armas]").first.wait_for(state="visible")
    assert page.locator("[name=survey__cuales]").is_visible()  # without JS every question is shown
