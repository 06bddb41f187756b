"""Staff roles: Django groups carrying a fixed set of permissions. Every permission decision in
Testigo goes through this module.

Roles are enforced in selectors and services through `can(actor, action)` and `require(actor,
action)`; console views and API handlers ask the same functions only to refuse early and clearly;
templates only reflect what those already decided. The matrix below is the single source of truth
and is walked cell by cell in tests/core/test_roles.py.

Actors: a staff user, or one of two explicit non-human actors. SYSTEM is the operator's command
line and the workers acting on their own authority (may do everything); FIELD_DEVICE is an ODK
device token editing its own earlier submission (may edit, never change what the public sees).
`None` is nobody: it is refused everything.

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

# Actions staff can take, each named for what it gates; each maps to one permission codename.
VIEW, EDIT, PUBLISH, EXPORT, SEE_CONTACT, VIEW_CONFIDENTIAL, MANAGE_USERS, MANAGE_CATEGORIES, VIEW_AUDIT = (
    "view", "edit", "publish", "export", "see_contact", "view_confidential", "manage_users",
    "manage_categories", "view_audit",
)
MANAGE_ALERTS, MANAGE_SURVEYS, IMPORT_REPORTS, MANAGE_LAYERS, MANAGE_CHANNELS, MANAGE_TOKENS, MANAGE_TIPLINE = (
    "manage_alerts", "manage_surveys", "import_reports", "manage_layers", "manage_channels", "manage_tokens",
    "manage_tipline",
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
    # core.Access: a model that only carries these permissions (no table).
    MANAGE_ALERTS: "core.manage_alerts",  # zones, rules, broadcasts, subscriptions
    MANAGE_SURVEYS: "core.manage_surveys",  # forms, ODK devices, decryption
    IMPORT_REPORTS: "core.import_reports",  # spreadsheet imports
    MANAGE_LAYERS: "core.manage_layers",  # the map's reference layers
    MANAGE_CHANNELS: "core.manage_channels",  # gateways and their secrets
    MANAGE_TOKENS: "core.manage_tokens",  # other people's API tokens
    MANAGE_TIPLINE: "core.manage_tipline",  # the tip line's key: set-up, granting staff access
}

_RUNS_PROGRAMME = {MANAGE_CATEGORIES, MANAGE_ALERTS, MANAGE_SURVEYS, IMPORT_REPORTS, MANAGE_LAYERS}
_RUNS_INSTALLATION = {MANAGE_USERS, MANAGE_CHANNELS, MANAGE_TOKENS, MANAGE_TIPLINE}
MATRIX: dict[str, set[str]] = {
    ADMIN: {VIEW, EDIT, PUBLISH, EXPORT, SEE_CONTACT, VIEW_CONFIDENTIAL, VIEW_AUDIT, *_RUNS_PROGRAMME,
            *_RUNS_INSTALLATION},
    COORDINATOR: {VIEW, EDIT, PUBLISH, EXPORT, SEE_CONTACT, VIEW_CONFIDENTIAL, VIEW_AUDIT, *_RUNS_PROGRAMME},
    MODERATOR: {VIEW, EDIT, PUBLISH, SEE_CONTACT, VIEW_CONFIDENTIAL},
    ANALYST: {VIEW, EXPORT},
    VOLUNTEER: {VIEW, EDIT},
}


class NonHumanActor:
    """An actor that is not a person: named, with a fixed set of actions, never stored as a user."""

    is_authenticated = False
    is_active = True
    is_superuser = False
    pk = id = None

    def __init__(self, name: str, actions: frozenset[str]) -> None:
        self.name, self.actions = name, actions

    def __repr__(self) -> str:
        return f"<actor {self.name}>"


SYSTEM = NonHumanActor("system", frozenset(PERMISSION_OF))
FIELD_DEVICE = NonHumanActor("field device", frozenset({VIEW, EDIT}))


def can(user, action: str) -> bool:
    """Whether `user` may perform `action`. Nobody (None) and anonymous visitors may do nothing
    staff-only."""
    if action not in PERMISSION_OF:
        raise ValueError(f"unknown action {action!r}")
    if isinstance(user, NonHumanActor):
        return action in user.actions
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(PERMISSION_OF[action])


def person(actor):
    """The user to record as having done something (created_by, audit): None for non-human
    actors and anonymous visitors."""
    if actor is None or isinstance(actor, NonHumanActor) or not actor.is_authenticated:
        return None
    return actor


# Refusals worth explaining: the console and the API show this text to the person refused.
REFUSALS = {
    PUBLISH: _("Only a role with the publish permission can change what the public sees of a report."),
    MANAGE_CHANNELS: _("Only administrators can manage channels."),
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


def may_export_evidence(user) -> bool:
    """Whether `user` may take an evidence package (reports/evidence.py): the staff view of whole
    reports, their files and the audit events about them, for a lawyer or a human-rights
    commission. Only roles that may both export and read the audit trail (administrators and
    coordinators); an analyst exports rows but never the trail, a moderator exports nothing."""
    return can(user, EXPORT) and can(user, VIEW_AUDIT)


def require_evidence_export(user) -> None:
    if not may_export_evidence(user):
        raise PermissionDenied(gettext("Only administrators and coordinators can export evidence packages."))


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
