"""Console pages for uploaded XLSForms: upload (new survey or new version), the survey page's
read-only side (questions, versions, web-form fit, files), each published version's file, and a
submission's answers as the phone sent them. Thin: services and selectors do the work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from testigo.core import roles
from testigo.core.access import staff_required
from testigo.surveys import outline_view, selectors, services, submissions, xlsform
from testigo.surveys.console_forms import MediaFileForm, XLSFormUploadForm
from testigo.surveys.models import Survey, SurveyVersion

MANAGE = roles.MANAGE_SURVEYS


@staff_required(MANAGE)
def xlsform_upload(request):
    """Publish an XLSForm: a new form id creates a survey, a known one with a new version
    publishes that version (services.import_xlsform decides; this page says which happened)."""
    form = XLSFormUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        before = dict(Survey.objects.values_list("pk", "version"))
        try:
            survey = services.import_xlsform(actor=request.user, data=upload.read(), filename=upload.name,
                                             files=form.cleaned_data["attachments"],
                                             version_of=form.cleaned_data["for_form"])
        except xlsform.XLSFormError as exc:
            problems = exc.errors
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(request, _outcome(survey, before))
            return redirect("surveys:edit", survey.pk)
    return render(request, "surveys/upload.html", {"form": form, "problems": problems},
                  status=400 if problems else 200)


def _outcome(survey: Survey, before: dict[int, int]) -> str:
    if survey.pk not in before:
        return _("Survey “%(name)s” created from the XLSForm.") % {"name": survey.name}
    if survey.version != before[survey.pk]:
        return _("Version “%(version)s” of “%(name)s” published.") % {
            "version": outline_view.version_label(survey.xform_version), "name": survey.name}
    return _("“%(name)s” already has this version; attached files were updated.") % {"name": survey.name}


def edit_context(survey: Survey) -> dict:
    """What the survey page shows of an uploaded XLSForm (its settings form is the view's)."""
    return {
        "questions": outline_view.question_tree(survey.outline.get("nodes", [])),
        "versions": survey.versions.defer("xlsform", "xform", "outline"),
        "blockers": outline_view.blocker_groups(survey.web_blockers),
        "missing_files": survey.missing_files(),
        "media_files": list(survey.media_files.defer("data")),
        "media_form": MediaFileForm(),
        "upload_form": XLSFormUploadForm(initial={"for_form": survey.form_id}),
        "served_version": outline_view.version_label(survey.xform_version),
    }


@staff_required(MANAGE)
def version_download(request, pk: int, version_pk: int):
    """A published version's XLSForm exactly as it was uploaded."""
    version = get_object_or_404(SurveyVersion, pk=version_pk, survey_id=pk)
    name = version.xlsform_name or f"{version.survey.form_id}.xlsx"
    kind = xlsform.file_kind(bytes(version.xlsform[:8])) or ".xlsx"
    content_type = ("application/vnd.ms-excel" if kind == ".xls"
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = HttpResponse(bytes(version.xlsform), content_type=content_type)
    response["Content-Disposition"] = _attachment(name)
    return response


def _attachment(name: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(True, name)


@staff_required(roles.VIEW)
def submission_detail(request, pk: int, submission_pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    submission = get_object_or_404(selectors.visible_submissions(request.user, survey).select_related(
        "report", "device"), pk=submission_pk)
    outline = submissions.outline_for(survey, submission.form_version)
    files = dict(submission.attachments.values_list("name", "media_id"))
    return render(request, "surveys/submission.html", {
        "survey": survey, "submission": submission, "report": submission.report,
        "tree": outline_view.answer_tree(outline, submission.data, files),
        "version": outline_view.version_label(submission.form_version),
        "attachments": sorted(files)})


@staff_required(roles.EXPORT)
def submission_xml(request, pk: int, submission_pk: int):
    """The instance exactly as it arrived (for an encrypted form, its manifest), as a download."""
    survey = get_object_or_404(Survey, pk=pk)
    submission = get_object_or_404(selectors.visible_submissions(request.user, survey), pk=submission_pk)
    response = HttpResponse(bytes(submission.xml), content_type="application/xml")
    safe_id = "".join(c if c.isalnum() or c in "-_" else "_" for c in submission.instance_id)
    response["Content-Disposition"] = _attachment(f"{survey.form_id}-{safe_id}.xml")
    return response
