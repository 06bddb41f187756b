"""Staff roles: Django groups carrying a fixed set of permissions.

Roles are enforced in selectors and services through `can(user, action)`; templates only
reflect what those already decided. The matrix below is the single source of truth and is
walked cell by cell in tests/core/test_roles.py.
"""

from __future__ import annotations

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
