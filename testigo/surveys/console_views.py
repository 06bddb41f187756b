"""Console pages for surveys: list, builder (server-rendered, no JS), XLSForm upload,
encryption, answers table and CSV export, and ODK devices. Thin: services do the work."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from testigo.core import csvsafe, roles
from testigo.core.access import staff_required
from testigo.surveys import encryption, fieldtypes, selectors, services, submissions, xlsform, xlsform_views
from testigo.surveys.console_forms import (
    DeviceForm,
    FieldForm,
    FormKeyForm,
    MediaFileForm,
    NewPassphraseForm,
    PassphraseForm,
    SurveyForm,
)
from testigo.surveys.models import Device, Submission, Survey

MANAGE = roles.MANAGE_SURVEYS


def _errors_into(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


@staff_required(MANAGE)
def survey_list(request):
    surveys = Survey.objects.select_related("category").defer("xform", "xlsform", "wrapped_private_key")
    return render(request, "surveys/list.html", {"rows": [(s, s.missing_files()) for s in surveys]})


@staff_required(MANAGE)
def survey_new(request):
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.create_survey(actor=request.user, name_es=form.cleaned_data["name_es"],
                                            name_en=form.cleaned_data["name_en"],
                                            category=form.cleaned_data["category"])
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            return redirect("surveys:edit", survey.pk)
    return render(request, "surveys/new.html", {"form": form})


@staff_required(MANAGE)
def survey_edit(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    initial = {k: getattr(survey, k) for k in ("name_es", "name_en", "category", "is_active", "title_field",
                                               "description_field", "occurred_field", "location_field",
                                               "category_field")}
    form = SurveyForm(request.POST or None, initial=initial, fields=survey.fields)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_survey(actor=request.user, survey=survey, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("surveys:edit", survey.pk)
    pending = survey.submissions.filter(status=Submission.Status.ENCRYPTED).count()
    if survey.from_xlsform:
        return render(request, "surveys/edit_xlsform.html", {
            "survey": survey, "form": form, "pending": pending, **xlsform_views.edit_context(survey)})
    rows = [{"index": i, "spec": f, "type": fieldtypes.get(f["type"]).label, "label": fieldtypes.label(f),
             "condition": f.get("relevant")} for i, f in enumerate(survey.fields)]
    attached = list(survey.media_files.defer("data"))
    missing = sorted(xlsform.media_references(survey.fields) - {m.name for m in attached})
    return render(request, "surveys/edit.html", {
        "survey": survey, "form": form, "rows": rows, "pending": pending, "media_files": attached,
        "missing_media": missing, "media_form": MediaFileForm()})


@require_POST
@staff_required(MANAGE)
def media_upload(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    form = MediaFileForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("surveys:edit", survey.pk)
    upload = form.cleaned_data["file"]
    if upload.size > services.MEDIA_MAX_BYTES:  # refused before reading it into memory
        messages.error(request, _("The file is larger than %(mb)s MB.") % {"mb": services.MEDIA_MAX_BYTES // 2**20})
        return redirect("surveys:edit", survey.pk)
    try:
        services.add_media_file(actor=request.user, survey=survey, name=upload.name, data=upload.read())
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("File attached; phones get it with the next form update."))
    return redirect("surveys:edit", survey.pk)


@require_POST
@staff_required(MANAGE)
def media_remove(request, pk: int, media_pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    media = get_object_or_404(survey.media_files.defer("data"), pk=media_pk)
    services.remove_media_file(actor=request.user, survey=survey, name=media.name)
    messages.success(request, _("File removed."))
    return redirect("surveys:edit", survey.pk)


@staff_required(MANAGE)
def field_edit(request, pk: int, index: int | None = None):
    survey = get_object_or_404(Survey, pk=pk)
    if index is not None and not 0 <= index < len(survey.fields):
        raise Http404
    previous = survey.fields[index] if index is not None else None
    others = [f for i, f in enumerate(survey.fields) if i != index]
    form = FieldForm(request.POST or None, others=others,
                     initial=FieldForm.initial_from(previous) if previous else {"type": "text"})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_field(actor=request.user, survey=survey, spec=form.spec(previous), index=index)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Field saved."))
            return redirect("surveys:edit", survey.pk)
    return render(request, "surveys/field.html", {"survey": survey, "form": form, "index": index})


@require_POST
@staff_required(MANAGE)
def field_move(request, pk: int, index: int):
    survey = get_object_or_404(Survey, pk=pk)
    services.move_field(actor=request.user, survey=survey, index=index,
                        offset=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("surveys:edit", survey.pk)


@require_POST
@staff_required(MANAGE)
def field_remove(request, pk: int, index: int):
    survey = get_object_or_404(Survey, pk=pk)
    try:
        services.remove_field(actor=request.user, survey=survey, index=index)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("surveys:edit", survey.pk)


@staff_required(MANAGE)
def encryption_page(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    action = request.POST.get("action")
    enable = NewPassphraseForm(request.POST if action == "enable" else None, prefix="enable")
    decrypt = PassphraseForm(request.POST if action == "decrypt" else None, prefix="decrypt")
    with_key = FormKeyForm(request.POST if action == "decrypt_key" else None, request.FILES or None, prefix="key")
    if enable.is_bound and enable.is_valid():
        try:
            services.enable_encryption(actor=request.user, survey=survey, passphrase=enable.cleaned_data["passphrase"])
        except ValidationError as exc:
            _errors_into(enable, exc)
        else:
            messages.success(request, _("Submissions to this survey are now encrypted on the phone."))
            return redirect("surveys:edit", survey.pk)
    # The staff passphrase unwraps Testigo's own key; an uploaded XLSForm's key is given as a file.
    done = _decrypted(request, survey, decrypt, "passphrase", lambda data: encryption.unwrap_private_key(
        survey.wrapped_private_key, data["passphrase"]))
    if done is None and survey.from_xlsform:
        done = _decrypted(request, survey, with_key, "key", lambda data: encryption.load_form_private_key(
            data["key"], public_key_b64=survey.public_key, password=data["password"]))
    return done or render(request, "surveys/encryption.html", {"survey": survey, "enable": enable,
                                                               "decrypt": decrypt, "with_key": with_key})


def _decrypted(request, survey: Survey, form, field: str, key_of) -> HttpResponse | None:
    """Decrypt the waiting submissions with the key `key_of(form data)` gives: the redirect to the
    survey when done, None when the form was not sent or the key was refused (said on `field`)."""
    if not (form.is_bound and form.is_valid()):
        return None
    try:
        done, failed = submissions.decrypt_with_key(survey=survey, key=key_of(form.cleaned_data), actor=request.user)
    except encryption.DecryptionError as exc:
        form.add_error(field, str(exc))
        return None
    messages.success(request, _("%(done)s submissions decrypted, %(failed)s rejected.") % {"done": done, "failed": failed})
    return redirect("surveys:edit", survey.pk)


@staff_required(roles.VIEW)
def survey_data(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    field, value = request.GET.get("field", ""), request.GET.get("value", "")
    reports = selectors.survey_reports(request.user, survey, field=field, value=value)
    columns = selectors.columns(survey)
    if request.GET.get("format") == "csv":
        return _csv(request, survey, reports, columns)
    if request.GET.get("format") in EXPORT_FORMATS and survey.from_xlsform:
        return _export(request, survey, reports, request.GET["format"])
    shown = list(reports[:200])
    answers = selectors.current_submission_ids(survey, [r.pk for r in shown])
    rows = [(r, selectors.row_values(survey, r), answers.get(r.pk)) for r in shown]
    return render(request, "surveys/data.html", {"survey": survey, "columns": columns, "rows": rows,
                                                 "field": field, "value": value,
                                                 "count": reports.count()})


# format=… on an uploaded XLSForm's answers page: (exports.filename's format, content type).
EXPORT_FORMATS = {
    "csv_zip": ("csv", "application/zip"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _export(request, survey, reports, fmt: str) -> HttpResponse:
    """Every stored submission behind the (filtered) reports, one file or sheet per repeat."""
    if not roles.can(request.user, roles.EXPORT):
        raise Http404
    from testigo.surveys import exports

    export_format, content_type = EXPORT_FORMATS[fmt]
    write = exports.write_csv_zip if fmt == "csv_zip" else exports.write_xlsx
    chosen = (selectors.visible_submissions(request.user, survey)
              .filter(report__in=reports, status=Submission.Status.STORED))
    out = io.BytesIO()
    write(survey, chosen, out)
    response = HttpResponse(out.getvalue(), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, exports.filename(survey, export_format))
    return response


def _csv(request, survey, reports, columns) -> HttpResponse:
    if not roles.can(request.user, roles.EXPORT):
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{survey.form_id}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 correctly only with a BOM
    writer = csvsafe.writer(response)
    writer.writerow(["reference", "status", "received_at", "title"] + [c["name"] for c in columns])
    for report in reports.iterator():
        writer.writerow([report.reference, report.status, report.received_at.isoformat(), report.title]
                        + selectors.row_values(survey, report))
    return response


@staff_required(MANAGE)
def devices(request):
    form = DeviceForm(request.POST or None)
    new_url = ""
    if request.method == "POST" and form.is_valid():
        _device, token = services.add_device(actor=request.user, name=form.cleaned_data["name"])
        new_url = request.build_absolute_uri(f"/odk/{token}")
        form = DeviceForm()
    return render(request, "surveys/devices.html", {"form": form, "devices": Device.objects.all(),
                                                    "new_url": new_url})


@require_POST
@staff_required(MANAGE)
def device_revoke(request, pk: int):
    services.revoke_device(actor=request.user, device=get_object_or_404(Device, pk=pk))
    messages.success(request, _("The device can no longer connect."))
    return redirect("surveys:devices")


@staff_required(MANAGE)
def rejected(request):
    return render(request, "surveys/rejected.html", {"items": selectors.rejected_inputs()[:200]})


@staff_required(MANAGE)
def rejected_body(request, pk: int):
    """The refused body exactly as it arrived, as a download (never rendered as a page)."""
    item = get_object_or_404(selectors.rejected_inputs(), pk=pk)
    response = HttpResponse(bytes(item.body), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="rejected-{item.pk}.xml"'
    return response
