"""Console entry: login, logout, password change and the inbox. Thin: parse, call, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from testigo.console import inbox as inbox_rows
from testigo.console import selectors as console_selectors
from testigo.console import twofactor_views
from testigo.console.forms import InboxFilterForm, LoginForm
from testigo.core import auth, roles, services, twofactor
from testigo.core.access import may_enter, staff_required
from testigo.core.paging import CappedCount, CappedPaginator
from testigo.core.signals import staff_password_changed, staff_password_verified
from testigo.reports import search, selectors
from testigo.reports import services as reports_services
from testigo.reports.models import Report
from testigo.surveys import columns

INBOX_PAGE_SIZE = 50
# Bulk moves offered in the inbox; each report still goes through change_status and its rules.
BULK_STATUSES = [Report.Status.IN_REVIEW, Report.Status.VERIFIED, Report.Status.PUBLISHED,
                 Report.Status.REJECTED, Report.Status.ARCHIVED]
BULK_MAX = INBOX_PAGE_SIZE


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _authenticate(request, username: str, password: str):
    """The user when the credentials are right and the account may use the console, else None.
    Raises auth.LoginLocked while the username is locked."""
    auth.check_not_locked(username=username)
    user = authenticate(request, username=username, password=password)
    if user is None or not may_enter(user):
        if auth.record_failure(username=username):
            raise auth.LoginLocked(auth.locked_message())
        return None
    auth.record_success(username=username)
    return user


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    if request.user.is_authenticated and may_enter(request.user) and request.method == "GET":
        return redirect(_next_url(request))
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]
        try:
            user = _authenticate(request, username, password)
        except auth.LoginLocked as exc:
            form.add_error(None, str(exc))
            user, status = None, 429
        step = twofactor.second_step(user) if user is not None else None
        if step is not None:  # not logged in yet: the code step (or enrolment) comes first
            response = twofactor_views.start(request, user, step, _next_url(request))
            # The tip-line key waits in the still-anonymous session; login() keeps it.
            staff_password_verified.send(sender=None, request=request, user=user, password=password)
            return response
        if user is not None:
            login(request, user)
            staff_password_verified.send(sender=None, request=request, user=user, password=password)
            return redirect(_next_url(request))
        elif status == 200:
            form.add_error(None, _("Wrong username or password."))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, "console/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request):
    logout(request)
    return redirect(resolve_url(settings.LOGOUT_REDIRECT_URL))


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@staff_required()
def password_view(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        old, new = form.cleaned_data["old_password"], form.cleaned_data["new_password1"]
        try:
            services.change_own_password(user=request.user, new_password=new)
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            update_session_auth_hash(request, request.user)  # stay logged in on this device
            staff_password_changed.send(sender=None, request=request, user=request.user,
                                        old_password=old, new_password=new)
            messages.success(request, _("Your password was changed."))
            return redirect("console:inbox")
    return render(request, "console/password.html", {"form": form})


# The inbox's export links: (format, label).
EXPORT_FORMATS = [("csv", gettext_lazy("CSV")), ("xlsx", gettext_lazy("Excel (XLSX)")),
                  ("geojson", gettext_lazy("GeoJSON")), ("kml", gettext_lazy("KML (Google Earth)")),
                  ("hxl", gettext_lazy("HXL-tagged CSV"))]


@staff_required()
def inbox(request):
    with search.remembered():  # the list and its tabs search the same words: the index is asked once
        return _inbox(request)


def _inbox(request):
    form = InboxFilterForm(request.GET or None, sources=console_selectors.sources(request.user),
                           surveys=console_selectors.inbox_surveys())
    filters, conditions = form.filters(), form.answer_conditions()
    reports = selectors.staff_reports(request.user, filters, paged=True).filter(*conditions)
    reports = inbox_rows.page_queryset(reports, with_answers=form.survey is not None)
    counts = console_selectors.status_counts(request.user, filters, conditions)
    tabs = [(value, label, counts[value]) for value, label in Report.Status.choices]
    # The list's count is its tabs' (the statuses shown, else all): counted once, not twice.
    shown = [value for value in Report.Status.values if value in filters.statuses or not filters.statuses]
    page = CappedPaginator(reports, INBOX_PAGE_SIZE, count=sum((counts[value] for value in shown), CappedCount(0)))
    page = page.get_page(request.GET.get("page"))
    answer_columns = []
    if form.survey is not None:  # the survey's answers as extra columns
        answer_columns = columns.table_columns(form.survey)
        for report in page.object_list:  # reads the loaded rows only: no query per report
            report.answer_cells = columns.cells(form.survey, answer_columns, report.custom_values)
    page.object_list = inbox_rows.rows(page.object_list, user=request.user)
    return render(request, "console/inbox.html", {
        "form": form, "page": page, "tabs": tabs, "total": sum(counts.values(), CappedCount(0)),
        "selected_statuses": filters.statuses, "bulk_statuses": _bulk_choices(request.user),
        "survey": form.survey, "answer_columns": answer_columns, "export_formats": EXPORT_FORMATS,
    })


@staff_required(roles.EXPORT)
def inbox_export(request):
    """The inbox's reports (same filters, same answers columns) as a file: format=csv, geojson,
    xlsx, kml or hxl. Contacts only for roles that may take them, as in the API."""
    from django.http import HttpResponseBadRequest, StreamingHttpResponse

    from testigo.reports import exporters

    fmt = request.GET.get("format", "")
    if fmt not in exporters.FORMATS:
        return HttpResponseBadRequest(_("Choose one of the export formats offered."))
    form = InboxFilterForm(request.GET or None, sources=console_selectors.sources(request.user),
                           surveys=console_selectors.inbox_surveys())
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("The filters could not be read; correct them in the inbox and try again."))
    filters, conditions = form.filters(), form.answer_conditions()
    reports = selectors.staff_reports(request.user, filters).filter(*conditions).order_by("-received_at", "-id")
    answers = columns.export_columns(form.survey, (request.LANGUAGE_CODE or "es")[:2]) if form.survey else []
    export = exporters.Export(reports, public=False, with_contact=roles.may_take_contacts(request.user),
                              answers=answers, survey=form.survey)
    response = StreamingHttpResponse(export.stream(fmt), content_type=exporters.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{exporters.FILENAMES[fmt]}"'
    return response


def _bulk_choices(user) -> list[tuple[str, str]]:
    return [(s.value, s.label) for s in BULK_STATUSES
            if roles.can(user, roles.PUBLISH if s in roles.EDITORIAL_STATUSES else roles.EDIT)]


@require_POST
@staff_required(roles.EDIT)
def inbox_bulk(request):
    """Move the ticked reports to one status; each move is checked and audited on its own, and
    the ones the workflow or the user's role refuses (archiving a published report without the
    publish permission) are listed in a message."""
    target = request.POST.get("status", "")
    references = request.POST.getlist("ref")[:BULK_MAX]
    if target not in dict(_bulk_choices(request.user)) or not references:
        messages.error(request, _("Tick at least one report and choose what to do with them."))
        return redirect(_back_to_inbox(request))
    changed, refused, forbidden, off_map = 0, [], [], []
    for report in selectors.visible_to(request.user).filter(reference__in=references):
        try:
            report = reports_services.change_status(report=report, actor=request.user, status=target)
            changed += 1
            if report.published_off_map:
                off_map.append(report.reference)
        except ValidationError:
            refused.append(report.reference)
        except PermissionDenied:
            forbidden.append(report.reference)
    if changed:
        messages.success(request, ngettext("%(n)d report changed.", "%(n)d reports changed.", changed)
                         % {"n": changed})
    if off_map:
        messages.warning(request, _("Published, but with no location, so not on the map (add one under Edit "
                                    "on each report): %(refs)s") % {"refs": ", ".join(sorted(off_map))})
    if refused:
        messages.error(request, _("Not allowed from their current status: %(refs)s")
                       % {"refs": ", ".join(sorted(refused))})
    if forbidden:
        messages.error(request, _("Only a role with the publish permission can change these published "
                                  "reports: %(refs)s") % {"refs": ", ".join(sorted(forbidden))})
    return redirect(_back_to_inbox(request))


def _back_to_inbox(request) -> str:
    # Re-encoded, so whatever was posted can only ever become a query string on the inbox.
    query = QueryDict(request.POST.get("query", "")).urlencode()
    return resolve_url("console:inbox") + (f"?{query}" if query else "")
