"""The staff report page and the actions on it. Each POST calls one reports service; a
ValidationError becomes a message (typed input kept); a PermissionDenied from a service becomes
its message on the page again, as a 403."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from nacl.exceptions import CryptoError

from testigo.console import duplicate_views
from testigo.console import selectors as console_selectors
from testigo.console.forms import (
    MergeForm,
    NoteForm,
    RecordingUploadForm,
    RedactionForm,
    ReportEditForm,
    StatusForm,
)
from testigo.core import ranged, roles
from testigo.core.access import staff_required
from testigo.core.uploads import keep_uploads_in_memory
from testigo.reports import recordings, selectors, services
from testigo.reports.forms import recording_files
from testigo.reports.models import Media, Report
from testigo.surveys import selectors as survey_selectors
from testigo.surveys.columns import imported_columns, labelled_answers

Status = Report.Status
EVENTS_SHOWN = 100
# Other apps add a section to the staff report page by shipping one of these templates (it gets
# `report` and `request`); a missing or broken one is skipped so the page never fails for it.
REPORT_PANELS = ("channels/conversation.html",)

# What the button that moves a report *to* a status says; a few moves read better by origin.
BUTTON_LABELS = {
    Status.NEW: gettext_lazy("Back to new"),
    Status.IN_REVIEW: gettext_lazy("Start review"),
    Status.VERIFIED: gettext_lazy("Verify"),
    Status.PUBLISHED: gettext_lazy("Publish"),
    Status.REJECTED: gettext_lazy("Reject"),
    Status.ARCHIVED: gettext_lazy("Archive"),
}
SPECIAL_LABELS = {
    (Status.PUBLISHED, Status.VERIFIED): gettext_lazy("Unpublish"),
    (Status.REJECTED, Status.IN_REVIEW): gettext_lazy("Reopen"),
    (Status.ARCHIVED, Status.IN_REVIEW): gettext_lazy("Reopen"),
}


def _report(request, reference: str) -> Report:
    try:
        return selectors.staff_report(request.user, reference)
    except Report.DoesNotExist:
        raise Http404 from None


def _show_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _refused(request, report: Report, exc: PermissionDenied, **forms):
    """A write the user's role may not make (roles decided it in the service): the page again,
    with the reason and the typed input, as a 403."""
    messages.error(request, str(exc) if exc.args else _("You do not have permission to do this."))
    return _render(request, _report(request, report.reference), status=403, **forms)


def allowed_transitions(user, report: Report) -> list[tuple[str, str]]:
    """(status, button label) for every move TRANSITIONS allows that this user may make."""
    moves = []
    for target in Status.values:
        if target not in services.TRANSITIONS.get(report.status, set()):
            continue
        if roles.can(user, roles.public_change_action(report, {"status": target})):
            moves.append((target, SPECIAL_LABELS.get((report.status, target), BUTTON_LABELS[target])))
    return moves


def report_panels() -> list[str]:
    found = []
    for name in REPORT_PANELS:
        try:
            get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError):
            continue
        found.append(name)
    return found


def _inbound_media(report: Report) -> list:
    """Attachments that came by a channel and are not (yet) among the report's files, with why."""
    from testigo.channels.models import InboundMedia
    from testigo.channels.processing import KIND_TITLES

    items = list(report.inbound_media.exclude(status=InboundMedia.Status.STORED)
                 .select_related("message__channel").order_by("pk"))
    for item in items:
        item.kind_label = KIND_TITLES.get(item.kind, KIND_TITLES["document"])()
    return items


def _render(request, report: Report, *, status: int = 200, **forms):
    user = request.user
    context = {
        "report": report,
        "contact": selectors.contact_for(user, report),
        "photos": list(report.media.order_by("id")),
        "inbound_media": _inbound_media(report),
        "held_recordings": list(report.held_recordings.all()),
        "recording_form": forms.get("recording_form") or RecordingUploadForm(),
        "answers": labelled_answers(report.custom_values),
        "imported": imported_columns(report.custom_values),
        "submission": survey_selectors.current_submission(report) if report.source == "odk" else None,
        "notes": list(report.notes.select_related("author")),
        "events": list(console_selectors.report_events(report)[:EVENTS_SHOWN]),
        # Unordered in SQL, sorted here: with the inbox order SQLite walked the received_at index
        # over every report (1 s at 100k), as nearly all merged_into are NULL and the statistics
        # make that index look no more selective.
        "duplicates": sorted(report.duplicates.order_by().values_list("reference", flat=True)),
        "candidates": duplicate_views.report_candidates(user, report),
        "transitions": allowed_transitions(user, report),
        "edit_form": forms.get("edit_form") or ReportEditForm(user=user, report=report),
        "note_form": forms.get("note_form") or NoteForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "redaction_form": forms.get("redaction_form")
        or RedactionForm(initial={"phrases": "\n".join(report.redactions)}),
        "TILE_URL": settings.TILE_URL,
        "TILE_ATTRIBUTION": settings.TILE_ATTRIBUTION,
        "panels": report_panels(),
        "is_public": report.status == Status.PUBLISHED and report.visibility == Report.Visibility.PUBLIC,
        "may_export_evidence": roles.may_export_evidence(user),
        "may_open_originals": recordings.original_opener(request) is not None,
        "originals_not_kept": recordings.originals_not_kept(),
        "may_take_contacts": roles.may_take_contacts(user),
    }
    return render(request, "console/report.html", context, status=status)


@staff_required()
def report_page(request, reference: str):
    return _render(request, _report(request, reference))


@require_POST
@staff_required(roles.EDIT)
def report_edit(request, reference: str):
    report = _report(request, reference)
    form = ReportEditForm(request.POST, user=request.user, report=report)
    if form.is_valid():
        try:
            services.update_report(report=report, actor=request.user,
                                   categories=list(form.cleaned_data["categories"]), **form.changes())
        except ValidationError as exc:
            _show_errors(request, exc)
        except PermissionDenied as exc:
            return _refused(request, report, exc, edit_form=form)
        else:
            messages.success(request, _("Report saved."))
            return redirect("console:report", reference=report.reference)
    else:
        messages.error(request, _("Please correct the errors below."))
    return _render(request, _report(request, reference), edit_form=form)


@require_POST
@staff_required(roles.EDIT)
def report_note(request, reference: str):
    report = _report(request, reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(report=report, actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            _show_errors(request, exc)
        else:
            messages.success(request, _("Note added."))
            return redirect("console:report", reference=report.reference)
    return _render(request, report, note_form=form)


@require_POST
@staff_required(roles.EDIT)
def report_status(request, reference: str):
    report = _report(request, reference)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return redirect("console:report", reference=report.reference)
    try:
        report = services.change_status(report=report, actor=request.user, status=form.cleaned_data["status"])
    except ValidationError as exc:
        _show_errors(request, exc)
    except PermissionDenied as exc:
        return _refused(request, report, exc)
    else:
        messages.success(request, _("The report is now “%(status)s”.") % {"status": report.get_status_display()})
        for warning in services.publish_warnings(report):
            messages.warning(request, warning["message"])
    return redirect("console:report", reference=report.reference)


@require_POST
@staff_required(roles.EDIT)
def report_merge(request, reference: str):
    report = _report(request, reference)
    form = MergeForm(request.POST)
    if form.is_valid():
        try:
            target = selectors.staff_report(request.user, form.cleaned_data["into"])
        except Report.DoesNotExist:
            form.add_error("into", _("There is no report with that reference."))
        else:
            try:
                target = services.merge(duplicate=report, into=target, actor=request.user)
            except ValidationError as exc:
                form.add_error("into", exc)
            except PermissionDenied as exc:
                return _refused(request, report, exc, merge_form=form)
            else:
                messages.success(request, _("%(dup)s was merged into %(into)s.")
                                 % {"dup": report.reference, "into": target.reference})
                return redirect("console:report", reference=target.reference)
    return _render(request, report, merge_form=form)


@require_POST
@staff_required(roles.PUBLISH)
def report_redact(request, reference: str):
    report = _report(request, reference)
    form = RedactionForm(request.POST)
    if form.is_valid():
        services.redact(report=report, actor=request.user, phrases=form.phrase_list())
        messages.success(request, _("Hidden phrases saved. The public version below shows the result."))
        return redirect("console:report", reference=report.reference)
    return _render(request, report, redaction_form=form)


@require_POST
@staff_required(roles.PUBLISH)
def media_public(request, reference: str, media_id: int):
    report = _report(request, reference)
    media = get_object_or_404(Media, pk=media_id, report=report)
    is_public = request.POST.get("public") == "1"
    try:
        services.set_media_public(media=media, actor=request.user, is_public=is_public)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("console:report", reference=report.reference)
    messages.success(request, _("The file is now public.") if is_public else _("The file is now private."))
    return redirect("console:report", reference=report.reference)


@require_POST
@staff_required(roles.EDIT)
def inbound_media_retry(request, reference: str, item_id: int):
    """One more attempt at fetching an attachment the provider failed to give."""
    from testigo.channels import media as channel_media
    from testigo.channels.models import InboundMedia

    report = _report(request, reference)
    item = get_object_or_404(InboundMedia, pk=item_id, report=report)
    channel_media.retry_now(item=item, actor=request.user)
    messages.success(request, _("The file will be fetched again in a moment."))
    return redirect("console:report", reference=report.reference)


@staff_required()
def media_file(request, media_id: int):
    """A report's photo, recording, video or document, for staff who may see that report (public
    or not). Byte ranges are honoured so audio and video can be played and sought."""
    media = get_object_or_404(Media, pk=media_id)
    if not selectors.visible_to(request.user).filter(pk=media.report_id).exists():
        raise Http404
    # Documents are downloaded, never rendered in the console's origin (a PDF's scripts, an HTML
    # file that passed as text); photos, audio and video play inline.
    disposition = "attachment" if media.kind == Media.Kind.DOCUMENT else "inline"
    return ranged.file_response(request, media.file, content_type=media.content_type, headers={
        "Content-Disposition": f'{disposition}; filename="{media.kind}-{media.pk}{media.extension}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": "sandbox; default-src 'none'"})


# Outermost: the upload handler must be in place before anything reads the body (core/uploads.py);
# a body larger than the field allows is refused from its Content-Length, unread.
@keep_uploads_in_memory(max_file_mb="MEDIA_UPLOAD_MAX_MB", max_files="MEDIA_UPLOAD_MAX_FILES")
@require_POST
@staff_required(roles.EDIT)
def report_recordings(request, reference: str):
    """Staff attach recordings or videos; the worker transcodes them (reports/recordings.py)."""
    report = _report(request, reference)
    form = RecordingUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, report, recording_form=form)
    try:
        held = recordings.hold_recordings(report=report, files=recording_files(form.cleaned_data["recordings"]),
                                          actor=request.user)
    except PermissionDenied as exc:
        return _refused(request, report, exc, recording_form=form)
    messages.success(request, ngettext("%(count)s file is being processed; it appears here when it is ready.",
                                       "%(count)s files are being processed; they appear here when they are ready.",
                                       len(held)) % {"count": len(held)})
    return redirect("console:report", reference=report.reference)


def _staff_media(request, media_id: int) -> Media:
    media = get_object_or_404(Media, pk=media_id)
    if not selectors.visible_to(request.user).filter(pk=media.report_id).exists():
        raise Http404
    return media


@staff_required()
def media_poster(request, media_id: int):
    """The still frame of a video, for staff who may see its report."""
    media = _staff_media(request, media_id)
    if not media.poster:
        raise Http404
    return ranged.file_response(request, media.poster, content_type="image/jpeg", headers={
        "Content-Disposition": f'inline; filename="video-{media.pk}-poster.jpg"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store", "Content-Security-Policy": "sandbox; default-src 'none'"})


@staff_required()
def media_original(request, media_id: int):
    """The original of a recording or video as it was sent, metadata and all (kept only when
    TESTIGO_MEDIA_KEEP_ORIGINALS is on, sealed to the tip-line key: reports/recordings.py):
    downloaded, never played in the console, only by those who may take evidence packages and
    only when they hold the tip-line key, unlocked in their session."""
    media = _staff_media(request, media_id)
    if not media.original or not roles.may_export_evidence(request.user):
        raise Http404
    opener = recordings.original_opener(request)
    if opener is None:
        messages.error(request, _("This original is sealed: a tip-line key holder can open it."))
        return redirect("console:report", media.report.reference)
    try:
        with media.original.open("rb") as handle:
            data = opener(handle.read())
    except CryptoError:
        messages.error(request, _("This original could not be opened: it is damaged or sealed to another key."))
        return redirect("console:report", media.report.reference)
    response = HttpResponse(data, content_type="application/octet-stream")
    for name, value in {"Content-Disposition": f'attachment; filename="{media.kind}-{media.pk}-original"',
                        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                        "Content-Security-Policy": "sandbox; default-src 'none'"}.items():
        response[name] = value
    return response

