"""Reads with rules: which surveys phones may see, and survey answers as table columns."""

from __future__ import annotations

from django.db.models import QuerySet

from testigo.reports import selectors as report_selectors
from testigo.surveys import columns as survey_columns
from testigo.surveys import fieldtypes
from testigo.surveys.answers import SURVEY_KEY
from testigo.surveys.models import Submission, Survey


def open_surveys() -> QuerySet[Survey]:
    """Surveys ODK Collect may list, download and submit to."""
    # No XForm until it has a field. The uploaded spreadsheet and the outline (kilobytes to
    # megabytes each) are not needed to list or serve forms: phones poll these often.
    return Survey.objects.filter(is_active=True).exclude(xform_md5="").defer("xlsform", "outline")


def submittable_survey(form_id: str) -> Survey | None:
    # The XForm text and keys are not needed to store a submission; skip loading them.
    return (Survey.objects.filter(is_active=True, form_id=form_id).exclude(xform_md5="")
            .defer("xform", "xlsform", "wrapped_private_key").first())


def _web_surveys() -> QuerySet[Survey]:
    """Active surveys Testigo's web form can render: an uploaded XLSForm it cannot render
    faithfully (web_blockers) is for ODK Collect and Enketo only."""
    return (Survey.objects.filter(is_active=True, web_blockers=[])
            .defer("xform", "xlsform", "outline", "wrapped_private_key"))


def survey_categories_exist() -> bool:
    """Whether any category has a public survey (the report form then offers its questions)."""
    return _web_surveys().filter(category__isnull=False).exists()


def survey_for_category(category) -> Survey | None:
    """The public report form's survey for a category (its own, else its parent's); an ODK-only
    survey is never offered, so the category's plain form is used."""
    if category is None:
        return None
    survey = _web_surveys().filter(category=category).first()
    if survey is None and category.parent_id:
        survey = _web_surveys().filter(category_id=category.parent_id).first()
    return survey


def columns(survey: Survey) -> list[dict]:
    """The fields that hold values, in order: one table/export column each."""
    return survey_columns.value_fields(survey)


def survey_reports(user, survey: Survey, *, field: str = "", value: str = "") -> QuerySet:
    """Reports carrying this survey's answers that `user` may see, optionally where one answer
    equals `value` (a choice among several matches too)."""
    reports = report_selectors.visible_to(user).filter(**{f"custom_values__{SURVEY_KEY}": survey.pk})
    spec = next((f for f in columns(survey) if f["name"] == field), None)
    if spec is not None and value != "":
        try:
            parsed = fieldtypes.parse_value(spec, value)
        except fieldtypes.FieldValueError:
            return reports.none()
        # A select-multiple answer matches when it includes the choice(s), as the inbox does.
        op = "has" if spec["type"] == "select_multiple" else "eq"
        reports = reports.filter(survey_columns.answer_condition(spec, op, parsed))
    return reports


def row_values(survey: Survey, report) -> list[str]:
    return [fieldtypes.show_value(f, report.custom_values.get(f["name"])) for f in columns(survey)]


def rejected_inputs():
    """OpenRosa posts Testigo refused, newest first (kept for inspection)."""
    from testigo.surveys.models import RejectedInput

    return RejectedInput.objects.select_related("survey", "device")


def visible_submissions(user, survey: Survey) -> QuerySet[Submission]:
    """The survey's submissions whose report `user` may see (the report decides visibility)."""
    return Submission.objects.filter(survey=survey, report__in=report_selectors.visible_to(user))


def current_submission_ids(survey: Survey, report_ids) -> dict[int, int]:
    """{report id: its current submission's id} (an edit supersedes the earlier submission)."""
    rows = (Submission.objects.filter(survey=survey, report_id__in=list(report_ids))
            .exclude(status=Submission.Status.SUPERSEDED).order_by("received_at", "id")
            .values_list("report_id", "id"))
    return dict(rows)


def current_submission(report) -> Submission | None:
    """The submission a report's answers came from (its latest edit), if any."""
    return (Submission.objects.filter(report=report).exclude(status=Submission.Status.SUPERSEDED)
            .only("pk", "survey_id").order_by("-received_at", "-id").first())
