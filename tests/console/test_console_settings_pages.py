"""Categories, users and roles, and the audit trail pages, with their services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from testigo.core import audit, roles, services
from testigo.core.models import AuditEvent
from testigo.reports import category_services
from testigo.reports.models import Category

pytestmark = pytest.mark.django_db
User = get_user_model()


def category_data(**overrides):
    data = {"name_es": "Extorsión", "name_en": "Extortion", "slug": "extorsion", "parent": "",
            "colour": "#123abc", "icon": "money", "position": "3", "is_active": "on"}
    data.update(overrides)
    return data


# --- categories --------------------------------------------------------------------------------

def test_coordinator_creates_a_child_category_and_it_is_audited(client_as, category):
    client = client_as(roles.COORDINATOR)
    response = client.post("/console/categories/new/", category_data(parent=category.parent_id))
    assert response.status_code == 302
    created = Category.objects.get(slug="extorsion")
    assert created.parent_id == category.parent_id and created.colour == "#123abc" and created.icon == "money"
    event = AuditEvent.objects.get(action="category.created")
    assert event.actor == client.user and event.object_id == str(created.pk)
    tree = client.get("/console/categories/").content.decode()
    assert "Extorsión / Extortion" in tree


def test_only_top_level_categories_are_offered_as_parents(client_as, category):
    client = client_as(roles.ADMIN)
    response = client.post("/console/categories/new/", category_data(parent=category.pk))
    assert response.status_code == 200 and not Category.objects.filter(slug="extorsion").exists()
    with pytest.raises(ValidationError):
        category_services.create_category(actor=client.user, slug="x", name_es="x", name_en="x", parent=category)


def test_a_parent_with_children_cannot_become_a_child(admin_user, category):
    other = Category.objects.create(slug="otro", name_es="Otro", name_en="Other")
    with pytest.raises(ValidationError):
        category_services.update_category(actor=admin_user, category=category.parent, parent=other)


def test_edit_category_records_the_changes(client_as, category):
    client = client_as(roles.ADMIN)
    response = client.post(f"/console/categories/{category.pk}/",
                           category_data(slug="robo", name_es="Robo", name_en="Theft", parent=category.parent_id,
                                         is_active=""))
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.name_en == "Theft" and category.is_active is False
    changes = AuditEvent.objects.get(action="category.edited").data["changes"]
    assert changes["name_en"] == ["Robbery", "Theft"] and changes["is_active"] == [True, False]


def test_bad_colour_and_duplicate_slug_are_form_errors(client_as, category):
    client = client_as(roles.ADMIN)
    response = client.post("/console/categories/new/", category_data(colour="red"))
    assert "The colour must look like #c0392b." in response.content.decode()
    response = client.post("/console/categories/new/", category_data(slug="robo"))
    assert "Another category already uses that slug." in response.content.decode()
    assert 'value="Extorsión"' in response.content.decode()  # typed input kept


def test_category_services_need_the_permission(make_user):
    with pytest.raises(PermissionDenied):
        category_services.create_category(actor=make_user(roles.MODERATOR), slug="x", name_es="x", name_en="x")


# --- users and roles ---------------------------------------------------------------------------

def test_admin_creates_a_user_with_a_generated_password_shown_once(client_as):
    client = client_as(roles.ADMIN)
    response = client.post("/console/users/", {"username": "lucia", "email": "lucia@example.org",
                                                "role": roles.MODERATOR, "password": ""})
    assert response.status_code == 200
    password = response.context["password"]
    assert password and password in response.content.decode()
    user = User.objects.get(username="lucia")
    assert user.check_password(password) and roles.role_of(user) == roles.MODERATOR
    event = AuditEvent.objects.get(action="user.created", object_id=str(user.pk))
    assert password not in str(event.data)
    assert password not in client.get("/console/users/").content.decode()


def test_admin_creates_a_user_with_a_chosen_password(client_as):
    client = client_as(roles.ADMIN)
    client.post("/console/users/", {"username": "pedro", "role": roles.ANALYST, "password": "a fine long secret 9"})
    assert User.objects.get(username="pedro").check_password("a fine long secret 9")


def test_weak_password_or_duplicate_username_is_refused(client_as):
    client = client_as(roles.ADMIN, username="boss")
    response = client.post("/console/users/", {"username": "pedro", "role": roles.ANALYST, "password": "123"})
    assert response.status_code == 200 and not User.objects.filter(username="pedro").exists()
    response = client.post("/console/users/", {"username": "BOSS", "role": roles.ANALYST, "password": ""})
    assert "A user with that username already exists." in response.content.decode()


def test_change_role_and_deactivate(client_as, make_user):
    client = client_as(roles.ADMIN)
    target = make_user(roles.VOLUNTEER, username="vol")
    client.post(f"/console/users/{target.pk}/role/", {"role": roles.COORDINATOR})
    assert roles.role_of(User.objects.get(pk=target.pk)) == roles.COORDINATOR
    client.post(f"/console/users/{target.pk}/active/", {"active": "0"})
    assert not User.objects.get(pk=target.pk).is_active
    client.post(f"/console/users/{target.pk}/active/", {"active": "1"})
    assert User.objects.get(pk=target.pk).is_active
    actions = set(AuditEvent.objects.filter(object_id=str(target.pk)).values_list("action", flat=True))
    assert {"user.role_changed", "user.deactivated", "user.activated"} <= actions


def test_nobody_can_deactivate_themselves(client_as):
    client = client_as(roles.ADMIN)
    client_as(roles.ADMIN)  # a second admin, so "last admin" is not the reason
    response = client.post(f"/console/users/{client.user.pk}/active/", {"active": "0"}, follow=True)
    assert "You cannot deactivate your own account." in response.content.decode()
    assert User.objects.get(pk=client.user.pk).is_active


def test_the_last_admin_cannot_be_demoted_or_deactivated(admin_user, make_user):
    with pytest.raises(ValidationError):
        services.change_role(actor=admin_user, user=admin_user, role=roles.MODERATOR)
    second = make_user(roles.ADMIN, username="second")
    services.set_active(actor=second, user=admin_user, is_active=False)
    with pytest.raises(ValidationError):
        services.change_role(actor=second, user=second, role=roles.ANALYST)
    assert roles.role_of(User.objects.get(pk=second.pk)) == roles.ADMIN


def test_user_services_need_manage_users(make_user):
    coordinator = make_user(roles.COORDINATOR)
    with pytest.raises(PermissionDenied):
        services.create_user(actor=coordinator, username="x", role=roles.ADMIN)


def test_users_page_lists_roles_and_last_login(client_as, make_user):
    client = client_as(roles.ADMIN)
    make_user(roles.ANALYST, username="ana")
    html = client.get("/console/users/").content.decode()
    assert "ana" in html and "Analyst (read only)" in html and "never" in html


# --- audit trail -------------------------------------------------------------------------------

def test_audit_page_shows_events_newest_first_and_the_chain_is_intact(client_as, report_factory):
    client = client_as(roles.COORDINATOR)
    report_factory()
    audit.record(action="test.last", data={"n": 1})
    response = client.get("/console/audit/")
    assert response.context["page"].object_list[0].action == "test.last"
    html = response.content.decode()
    assert "Chain intact: 2 events." in html


def test_audit_page_reports_tampering(client_as, report_factory):
    client = client_as(roles.ADMIN)
    report_factory()
    AuditEvent.objects.filter(seq=1).update(action="report.forged")
    html = client.get("/console/audit/").content.decode()
    assert "content changed" in html and "Chain intact" not in html


def test_audit_filters_by_action_and_actor(client_as, report_factory, moderator):
    client = client_as(roles.ADMIN)
    report = report_factory()
    from testigo.reports import services as report_services

    report_services.add_note(report=report, actor=moderator, text="hola")
    by_action = client.get("/console/audit/?action=report.note_added").context["page"].object_list
    assert [e.action for e in by_action] == ["report.note_added"]
    by_actor = client.get(f"/console/audit/?actor={moderator.username}").context["page"].object_list
    assert {e.actor_name for e in by_actor} == {moderator.username}
