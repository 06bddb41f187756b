"""The role × action matrix, asserted cell by cell through the services and selectors."""

import pytest
from django.core.exceptions import PermissionDenied

from testigo.core import roles
from testigo.reports import selectors, services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db

EXPECTED = {
    #               view   edit   publish export contact users
    roles.ADMIN:       (True, True, True, True, True, True),
    roles.COORDINATOR: (True, True, True, True, True, False),
    roles.MODERATOR:   (True, True, True, False, True, False),
    roles.ANALYST:     (True, False, False, True, False, False),
    roles.VOLUNTEER:   (True, True, False, False, False, False),
}
ACTIONS = (roles.VIEW, roles.EDIT, roles.PUBLISH, roles.EXPORT, roles.SEE_CONTACT, roles.MANAGE_USERS)


@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize("index,action", list(enumerate(ACTIONS)))
def test_role_matrix_cell(make_user, role, index, action):
    user = make_user(role)
    assert roles.can(user, action) is EXPECTED[role][index]


@pytest.mark.parametrize("role", roles.ROLES)
def test_role_matrix_is_enforced_by_services(make_user, report_factory, role):
    user = make_user(role)
    report = report_factory()
    can_edit, can_publish = EXPECTED[role][1], EXPECTED[role][2]
    if can_edit:
        services.update_report(report=report, actor=user, title="Nuevo título")
        services.add_note(report=report, actor=user, text="revisado")
    else:
        with pytest.raises(PermissionDenied):
            services.update_report(report=report, actor=user, title="Nuevo título")
        with pytest.raises(PermissionDenied):
            services.add_note(report=report, actor=user, text="revisado")
    services.verify(report=report, actor=make_user(roles.ADMIN, "boss"))
    if can_publish:
        assert services.publish(report=report, actor=user).status == Report.Status.PUBLISHED
    else:
        with pytest.raises(PermissionDenied):
            services.publish(report=report, actor=user)


@pytest.mark.parametrize("role", roles.ROLES)
def test_contact_details_only_for_roles_allowed(make_user, report_factory, role):
    user = make_user(role)
    report = report_factory()
    contact = selectors.contact_for(user, report)
    if EXPECTED[role][4]:
        assert contact == {"name": "María", "contact": "+504 9999-0000"}
    else:
        assert contact is None


@pytest.mark.parametrize("role", roles.ROLES)
def test_confidential_reports_hidden_from_volunteers_and_analysts(make_user, report_factory, role):
    admin = make_user(roles.ADMIN, "boss")
    secret = report_factory(title="Confidencial")
    services.update_report(report=secret, actor=admin, visibility=Report.Visibility.CONFIDENTIAL)
    user = make_user(role)
    visible = set(selectors.staff_reports(user).values_list("reference", flat=True))
    expected = role in (roles.ADMIN, roles.COORDINATOR, roles.MODERATOR)
    assert (secret.reference in visible) is expected


def test_anonymous_users_can_do_nothing_staff_only(report_factory):
    from django.contrib.auth.models import AnonymousUser

    for action in roles.PERMISSION_OF:
        assert roles.can(AnonymousUser(), action) is False
    with pytest.raises(PermissionDenied):
        selectors.staff_reports(AnonymousUser())


def test_roles_seen_by_public_is_what_the_public_projection_shows(report_factory):
    """core.roles repeats two values of reports (it sits below them): `seen_by_public` must say
    exactly what public_reports() shows, or the publish gate would guard the wrong reports."""
    from testigo.reports.selectors import public_base

    report = report_factory()
    for status in Report.Status.values:
        for visibility in Report.Visibility.values:
            Report.objects.filter(pk=report.pk).update(status=status, visibility=visibility)
            shown = public_base().filter(pk=report.pk).exists()
            assert roles.seen_by_public(status, visibility) is shown, (status, visibility)
    assert roles.EDITORIAL_STATUSES <= set(Report.Status.values)


PUBLISHED, PUBLIC, RESTRICTED = Report.Status.PUBLISHED, Report.Visibility.PUBLIC, Report.Visibility.RESTRICTED


@pytest.mark.parametrize("status,visibility,changes,needed", [
    # Publication itself, and every move away from it.
    ("verified", PUBLIC, {"status": PUBLISHED}, roles.PUBLISH),
    (PUBLISHED, PUBLIC, {"status": "verified"}, roles.PUBLISH),
    (PUBLISHED, PUBLIC, {"status": "archived"}, roles.PUBLISH),
    (PUBLISHED, RESTRICTED, {"status": "archived"}, roles.PUBLISH),
    ("in_review", PUBLIC, {"status": "rejected"}, roles.PUBLISH),
    ("new", PUBLIC, {"status": "archived"}, roles.EDIT),
    ("verified", PUBLIC, {"status": "in_review"}, roles.EDIT),
    # Visibility of a published report, whichever way.
    (PUBLISHED, RESTRICTED, {"visibility": PUBLIC}, roles.PUBLISH),
    (PUBLISHED, RESTRICTED, {"visibility": "confidential"}, roles.PUBLISH),
    (PUBLISHED, PUBLIC, {"visibility": RESTRICTED}, roles.PUBLISH),
    ("verified", RESTRICTED, {"visibility": PUBLIC}, roles.EDIT),
    # Public fields of a report the public sees; the same fields are free when it does not.
    (PUBLISHED, PUBLIC, {"title": "x"}, roles.PUBLISH),
    (PUBLISHED, PUBLIC, {"categories": [1]}, roles.PUBLISH),
    (PUBLISHED, PUBLIC, {"media": "T-1"}, roles.PUBLISH),
    (PUBLISHED, PUBLIC, {"precision_m": 10}, roles.EDIT),
    (PUBLISHED, RESTRICTED, {"title": "x"}, roles.EDIT),
    ("new", PUBLIC, {"title": "x", "media": "T-1"}, roles.EDIT),
    (PUBLISHED, PUBLIC, {}, roles.EDIT),
])
def test_public_change_action_decides_publish_or_edit(status, visibility, changes, needed):
    from types import SimpleNamespace

    assert roles.public_change_action(SimpleNamespace(status=status, visibility=visibility), changes) == needed


def test_require_explains_a_publish_refusal(make_user, english):
    with pytest.raises(PermissionDenied) as refusal:
        roles.require(make_user(roles.VOLUNTEER), roles.PUBLISH)
    assert "publish permission" in str(refusal.value)
