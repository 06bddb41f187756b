"""Staff roles: Django groups carrying a fixed set of permissions.

Roles are enforced in selectors and services through `can(user, action)` and `require(user,
action)`; templates only reflect what those already decided. The matrix below is the single
source of truth and is walked cell by cell in tests/core/test_roles.py.

Two rules sit on top of the matrix, each decided here and nowhere else:
- `public_change_action()`: any write that changes what the public sees of a report needs
  PUBLISH, whatever path it comes by (console form, API, bulk action, merge).
- `may_take_contacts()`: reporter names and contacts leave the server in report data (API rows,
  exports) only for roles that may both export and see contacts.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ADMIN, COORDINATOR, MODERATOR, ANALYST, VOLUNTEER = "admin", "coordinator", "moderator", "analyst", "volunteer"
ROLES = [ADMIN, COORDINATOR, MODERATOR, ANALYST, VOLUNTEER]
ROLE_LABELS = {
    ADMIN: _("Administrator"),
    COORDINATOR: _("Coordinator"),
    MODERATOR: _("Moderator"),
    ANALYST: _("Analyst (read only)"),
    VOLUNTEER: _("Volunteer"),
}

# Actions staff can take; each maps to one permission codename on reports.Report / core.
VIEW, EDIT, PUBLISH, EXPORT, SEE_CONTACT, VIEW_CONFIDENTIAL, MANAGE_USERS, MANAGE_CATEGORIES, VIEW_AUDIT = (
    "view", "edit", "publish", "export", "see_contact", "view_confidential", "manage_users",
    "manage_categories", "view_audit",
)
PERMISSION_OF = {
    VIEW: "reports.view_report",
    EDIT: "reports.change_report",
    PUBLISH: "reports.publish_report",
    EXPORT: "reports.export_reports",
    SEE_CONTACT: "reports.view_contact",
    VIEW_CONFIDENTIAL: "reports.view_confidential",
    MANAGE_USERS: "auth.change_user",
    MANAGE_CATEGORIES: "reports.change_category",
    VIEW_AUDIT: "core.view_audit",
}

MATRIX: dict[str, set[str]] = {
    ADMIN: {VIEW, EDIT, PUBLISH, EXPORT, SEE_CONTACT, VIEW_CONFIDENTIAL, MANAGE_USERS, MANAGE_CATEGORIES, VIEW_AUDIT},
    COORDINATOR: {VIEW, EDIT, PUBLISH, EXPORT, SEE_CONTACT, VIEW_CONFIDENTIAL, MANAGE_CATEGORIES, VIEW_AUDIT},
    MODERATOR: {VIEW, EDIT, PUBLISH, SEE_CONTACT, VIEW_CONFIDENTIAL},
    ANALYST: {VIEW, EXPORT},
    VOLUNTEER: {VIEW, EDIT},
}


def can(user, action: str) -> bool:
    """Whether `user` may perform `action`. Anonymous users may do nothing staff-only."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(PERMISSION_OF[action])


# Refusals worth explaining: the console and the API show this text to the person refused.
REFUSALS = {
    PUBLISH: _("Only a role with the publish permission can change what the public sees of a report."),
}


def require(user, action: str) -> None:
    """Raise PermissionDenied (with a message staff can read) unless `user` may perform `action`."""
    if not can(user, action):
        raise PermissionDenied(REFUSALS.get(action) or gettext("You do not have permission to do this."))


# --- What the public sees ------------------------------------------------------------------------
# The public projection (reports.selectors.public_base) shows a report when it has this status and
# this visibility. They are the values of Report.Status.PUBLISHED and Report.Visibility.PUBLIC,
# repeated here because core sits below reports; tests/core/test_roles.py checks they agree.
PUBLISHED_STATUS = "published"
PUBLIC_VISIBILITY = "public"
# A rejection is an editorial decision about publication (the report will never be public).
EDITORIAL_STATUSES = frozenset({PUBLISHED_STATUS, "rejected"})
# What a write may change that the public reads while the report is public: the source fields of
# the public projection (title, description, location, place, date), its categories, its
# redactions, its photos ("media": photos added, moved or made public) and whether it stays one
# report ("merged": it becomes a duplicate and is archived).
PUBLIC_FACING = frozenset({"status", "visibility", "title", "description", "occurred_at", "occurred_time_known",
                           "lat", "lon", "place_name", "admin1", "admin2", "categories", "redactions", "media",
                           "merged"})


def seen_by_public(status: str, visibility: str) -> bool:
    return status == PUBLISHED_STATUS and visibility == PUBLIC_VISIBILITY


def public_change_action(report, changes: Mapping[str, object]) -> str:
    """The action a write to `report` needs: PUBLISH when it changes what the public sees, EDIT
    otherwise. `changes` holds only what really changes (field -> new value); "media" and
    "merged" stand for photos and merges.

    What the public sees changes when the report is seen before or after the write and the write
    touches something the public reads; a status move to or from published or to rejected, and any
    visibility change of a published report, are editorial decisions whatever the visibility.
    """
    status = changes.get("status", report.status)
    visibility = changes.get("visibility", report.visibility)
    if "status" in changes and ({report.status, status} & EDITORIAL_STATUSES):
        return PUBLISH
    if "visibility" in changes and PUBLISHED_STATUS in {report.status, status}:
        return PUBLISH
    seen = seen_by_public(report.status, report.visibility) or seen_by_public(status, visibility)
    return PUBLISH if seen and PUBLIC_FACING.intersection(changes) else EDIT


def require_public_change(user, report, changes: Mapping[str, object]) -> None:
    """The one gate for writes to a report: EDIT always, PUBLISH when the public would notice."""
    require(user, EDIT)
    action = public_change_action(report, changes)
    if action != EDIT:
        require(user, action)


def may_take_contacts(user) -> bool:
    """Whether report data handed out as rows (the API's list and detail, CSV and GeoJSON exports)
    may carry reporter names and contacts. Only for roles that may export AND see contacts: a
    moderator sees the contact of the report open on their console page to do their work, but may
    not carry contacts away in bulk (issue #13: a moderator's read token walked /api/v1/reports to
    1,040 reporter contacts while the CSV export refused it)."""
    return can(user, EXPORT) and can(user, SEE_CONTACT)


def role_of(user) -> str | None:
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    return next((r for r in ROLES if r in names), None)


def set_role(user, role: str) -> None:
    from django.contrib.auth.models import Group

    if role not in ROLES:
        raise ValueError(role)
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get(name=role))
    user.is_staff = True
    user.save(update_fields=["is_staff"])


def sync_role_groups(**kwargs) -> None:
    """Create the role groups with exactly the permissions of MATRIX (idempotent, post_migrate)."""
    from django.contrib.auth.models import Group, Permission

    for role, actions in MATRIX.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = []
        for action in actions:
            app_label, codename = PERMISSION_OF[action].split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                perms.append(perm)
        if role == ADMIN:
            perms += list(Permission.objects.filter(codename__in=["add_user", "view_user", "add_category",
                                                                  "delete_category"]))
        group.permissions.set(perms)
