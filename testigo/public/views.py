"""Public site views: the citizen report form and the public report pages.

Thin by design: forms parse, `reports.services` writes, `reports.selectors` decides what the
public may see. Nothing about the client (address, user agent) is read or kept here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from testigo.core import ranged
from testigo.core.paging import CappedPaginator
from testigo.core.uploads import keep_uploads_in_memory
from testigo.geo.fuzz import max_distance_m
from testigo.public import confirmation, sharing
from testigo.public.forms import PublicFilterForm, ReportForm
from testigo.reports import help_services as help_services_module
from testigo.reports import photos, recordings, selectors, sensitive, services
from testigo.reports.models import Category
from testigo.surveys.selectors import survey_categories_exist

# The reference of the last report sent from this browser, shown on the thank-you page. It is
# kept in the session rather than the URL so it never lands in browser history or proxy logs.
SESSION_REFERENCE = "public_last_reference"
SESSION_DISCREET = "public_last_discreet"  # the thanks page keeps the form's discreet mode
# Whether the confirmation the reporter asked for could be sent (None: not asked for): the thanks
# page says so honestly rather than promise a message no channel can deliver.
SESSION_CONFIRMATION = "public_last_confirmation"
PAGE_SIZE = 20
# Public photos may be withdrawn by staff: short caching bounds how long a copy lingers.
MEDIA_CACHE_SECONDS = 600
# Photo questions a category's survey may add beyond the photos field, for the in-memory cap.
SURVEY_PHOTO_ALLOWANCE = 10


def csrf_failure(request, reason=""):
    return render(request, "public/csrf_failure.html", status=403)


def _map_context() -> dict:
    return {"TILE_URL": settings.TILE_URL, "TILE_ATTRIBUTION": settings.TILE_ATTRIBUTION,
            "MAP_CENTER": settings.MAP_CENTER, "MAP_ZOOM": settings.MAP_ZOOM}


def _chosen_category(request) -> Category | None:
    value = request.POST.get("category") or request.GET.get("category") or ""
    return Category.objects.filter(pk=value, is_active=True).first() if value.isdigit() else None


@keep_uploads_in_memory(max_file_mb="MAX_UPLOAD_MB", max_files="MAX_UPLOAD_FILES", extra_files=SURVEY_PHOTO_ALLOWANCE,
                        media_mb="MEDIA_UPLOAD_MAX_MB", media_files="MEDIA_UPLOAD_MAX_FILES")
@require_http_methods(["GET", "POST"])
def report_new(request):
    category = _chosen_category(request)
    if request.method == "POST" and request.POST.get("show_questions"):
        # Only the category changed: show its questions, keep what was typed, save nothing.
        form = ReportForm(initial=request.POST.dict(), survey_category=category)
    elif request.method == "POST":
        form = ReportForm(request.POST, request.FILES, survey_category=category)
        if form.is_valid():
            try:
                report = services.create_report(**form.report_kwargs(), source="web",
                                                language=(get_language() or "es")[:8], actor=None)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                # Committed: the worker re-encodes the photos, never this request.
                photos.hold_photos(report=report, photos=form.photo_files())
                recordings.hold_recordings(report=report, files=form.recording_files())
                discreet = form.is_discreet()
                sent = None
                if form.cleaned_data.get("confirm_by_message"):
                    sent = confirmation.send(report=report, address=form.cleaned_data["reporter_contact"],
                                             discreet=discreet, survivor=sensitive.is_sensitive(report),
                                             language=report.language)
                request.session[SESSION_CONFIRMATION] = sent
                request.session[SESSION_REFERENCE] = report.reference
                request.session[SESSION_DISCREET] = discreet
                return redirect("public:report_thanks")
    else:
        form = ReportForm(initial={"category": category.pk} if category else None, survey_category=category)
    # Browsers never re-send files after an error: say so when some were attached.
    photos_dropped = request.method == "POST" and bool(request.FILES) and form.errors
    discreet = (category is not None and category.is_sensitive) or request.POST.get("discreet") == "on"
    return render(request, "public/report_form.html",
                  {"form": form, "photos_dropped": photos_dropped, "has_surveys": survey_categories_exist(),
                   "discreet": discreet,
                   **_map_context()},
                  status=200)


@require_GET
def report_thanks(request):
    reference = request.session.get(SESSION_REFERENCE)
    if not reference:
        return redirect("public:report_new")
    return render(request, "public/report_thanks.html",
                  {"reference": reference, "discreet": request.session.get(SESSION_DISCREET, False),
                   "confirmation_sent": request.session.get(SESSION_CONFIRMATION)})


@require_GET
def help_services(request):
    """The help-services directory: every active service, by kind; works without JavaScript."""
    services_by_kind, located = {}, False
    for service in help_services_module.active_services():
        services_by_kind.setdefault(service.get_kind_display(), []).append(service)
        located = located or service.lat is not None
    return render(request, "public/help_services.html",
                  {"services_by_kind": services_by_kind, "located": located, **_map_context()})


@require_GET
def report_list(request):
    form = PublicFilterForm(request.GET or None)
    filters = form.filters() if request.GET else selectors.ReportFilters()
    # A capped count ("1,000+") and a page read in the public order's index: an exact count of a
    # filtered list read every match at a million reports (issue #19).
    page = CappedPaginator(selectors.public_reports(filters, paged=True), PAGE_SIZE, count=selectors.public_count(filters),
                           read=selectors.public_rows).get_page(request.GET.get("page"))
    categories = selectors.public_categories([row["id"] for row in page.object_list])
    reports = [{**row, "categories": categories.get(row["id"], [])} for row in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "public/report_list.html",
                  {"form": form, "page": page, "reports": reports, "query": query.urlencode(),
                   "share": sharing.for_filters(filters, title=_("Published reports"))})


@require_GET
def report_detail(request, reference: str):
    report = selectors.public_report(reference)
    if report is None:
        raise Http404
    return render(request, "public/report_detail.html",
                  {"report": report, "FUZZ_RADIUS_M": max_distance_m(settings.FUZZ_RADIUS_M), **_map_context(),
                   "share": sharing.for_report(report)})


@require_GET
def public_media(request, media_id: int):
    media = selectors.public_media(media_id)
    if media is None:
        raise Http404
    return ranged.file_response(request, media.file, content_type=media.content_type, headers={
        "X-Content-Type-Options": "nosniff", "Content-Disposition": f'inline; filename="{media.pk}{media.extension}"',
        "Cache-Control": f"public, max-age={MEDIA_CACHE_SECONDS}"})


@require_GET
def public_media_poster(request, media_id: int):
    """The still frame of a public video (its poster)."""
    media = selectors.public_media(media_id)
    if media is None or not media.poster:
        raise Http404
    return ranged.file_response(request, media.poster, content_type="image/jpeg", headers={
        "X-Content-Type-Options": "nosniff", "Content-Disposition": f'inline; filename="{media.pk}-poster.jpg"',
        "Cache-Control": f"public, max-age={MEDIA_CACHE_SECONDS}"})


@require_GET
def favicon(request):
    """Browsers and feed readers ask for /favicon.ico whatever the page says: send them to the icon."""
    return redirect(static("testigo/favicon.svg"), permanent=True)
