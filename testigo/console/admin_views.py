"""Settings pages: categories, users and roles, the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from testigo.channels.selectors import phones_reachable_first
from testigo.console import selectors as console_selectors
from testigo.console.admin_forms import CategoryForm, RoleForm, UserCreateForm
from testigo.core import audit, roles, services
from testigo.core.access import staff_required
from testigo.core.paging import CappedPaginator, capped_count
from testigo.reports import category_services
from testigo.reports.models import Category

AUDIT_PAGE_SIZE = 50
# Verifying walks the whole chain; above this many events it runs only when asked (a button).
AUDIT_AUTO_VERIFY_MAX = 5000


def _form_errors(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


# --- Categories ------------------------------------------------------------------------------

@staff_required(roles.MANAGE_CATEGORIES)
def categories(request):
    rows = console_selectors.category_rows()
    pathway = any(c.sensitive for parent, children in rows for c in (parent, *children))
    return render(request, "console/categories.html",
                  {"rows": rows, "no_sms_channel": pathway and not phones_reachable_first()})


@staff_required(roles.MANAGE_CATEGORIES)
def category_edit(request, category_id: int | None = None):
    category = get_object_or_404(Category, pk=category_id) if category_id else None
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in CategoryForm.FIELDS}
        try:
            if category is None:
                category = category_services.create_category(actor=request.user, **fields)
            else:
                category = category_services.update_category(actor=request.user, category=category, **fields)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Category “%(name)s” saved.") % {"name": category.name})
            return redirect("console:categories")
    return render(request, "console/category_form.html", {"form": form, "category": category})


# --- Users and roles -------------------------------------------------------------------------

@never_cache
@staff_required(roles.MANAGE_USERS)
def users(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, generated = services.create_user(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            # Rendered, not redirected: the generated password must not travel in a message cookie
            # or the session, and it is shown exactly once.
            return render(request, "console/user_created.html", {"new_user": user, "password": generated})
    return render(request, "console/users.html", {
        "form": form, "users": console_selectors.users_with_roles(), "role_choices": RoleForm.base_fields["role"].choices,
    })


@require_POST
@staff_required(roles.MANAGE_USERS)
def user_role(request, user_id: int):
    target = get_object_or_404(get_user_model(), pk=user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("console:users")
    try:
        services.change_role(actor=request.user, user=target, role=form.cleaned_data["role"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(user)s is now %(role)s.")
                         % {"user": target.username, "role": roles.ROLE_LABELS[form.cleaned_data["role"]]})
    return redirect("console:users")


@require_POST
@staff_required(roles.MANAGE_USERS)
def user_active(request, user_id: int):
    target = get_object_or_404(get_user_model(), pk=user_id)
    is_active = request.POST.get("active") == "1"
    try:
        services.set_active(actor=request.user, user=target, is_active=is_active)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, (_("%(user)s can log in again.") if is_active
                                   else _("%(user)s was deactivated.")) % {"user": target.username})
    return redirect("console:users")


# --- Audit trail ------------------------------------------------------------------------------

@staff_required(roles.VIEW_AUDIT)
def audit_trail(request):
    filters = console_selectors.AuditFilters(action=request.GET.get("action", "")[:64],
                                             actor=request.GET.get("actor", "")[:150])
    events = console_selectors.audit_events(request.user, filters)
    page = CappedPaginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    small = not (filters.action or filters.actor) and capped_count(events, AUDIT_AUTO_VERIFY_MAX).exact
    run_verify = request.GET.get("verify") == "1" or small
    return render(request, "console/audit.html", {
        "page": page, "filters": filters, "actions": console_selectors.audit_actions(),
        "verification": audit.verify() if run_verify else None,
    })
