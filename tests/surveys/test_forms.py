"""The public report form's hook: a category's survey as form fields, and its answers cleaned."""

from __future__ import annotations

import pytest
from django import forms as django_forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from testigo.surveys import forms, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def category_survey(survey, category, admin_user):
    return services.update_survey(actor=admin_user, survey=survey, category=category.parent)


def test_category_and_its_children_get_the_survey_fields(category_survey, category):
    fields = forms.survey_form_fields(category, lang="en")  # child inherits the parent's survey
    assert list(fields)[:3] == ["survey__titulo", "survey__relato", "survey__victimas"]
    assert "survey__aviso" not in fields  # a note asks nothing
    assert fields["survey__arma"].choices == [("si", "Yes"), ("no", "No")]
    assert isinstance(fields["survey__tipo_arma"], django_forms.MultipleChoiceField)
    assert fields["survey__tipo_arma"].widget.attrs["data-show-when-field"] == "survey__arma"
    assert fields["survey__titulo"].label == "Title"


def test_no_survey_means_no_fields(category):
    assert forms.survey_form_fields(category) == {}


def test_answers_are_typed_and_hidden_ones_ignored(category_survey):
    data = QueryDict(mutable=True)
    data.update({"survey__titulo": "Robo", "survey__victimas": "2", "survey__arma": "no",
                 "survey__fecha": "2026-03-01", "survey__lugar": "14.1 -87.2"})
    data.setlist("survey__tipo_arma", ["fuego"])  # hidden: arma is "no"
    values = forms.clean_survey_values(category_survey, data, {})
    assert values == {"_survey": category_survey.pk, "titulo": "Robo", "victimas": 2, "arma": "no",
                      "fecha": "2026-03-01", "lugar": {"lat": 14.1, "lon": -87.2}}


def test_required_and_wrong_answers_name_the_question(category_survey, settings):
    with pytest.raises(ValidationError, match="Título"):
        forms.clean_survey_values(category_survey, QueryDict("survey__victimas=2"), {})
    with pytest.raises(ValidationError, match="dos"):
        forms.clean_survey_values(category_survey, QueryDict("survey__titulo=x&survey__victimas=dos"), {})
