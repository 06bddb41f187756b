"""Who may do what is decided in core.roles and nowhere else: no service keeps a gate of its own,
nobody (None) is trusted, the system acts as an explicit actor, and an ODK device's edit never
changes what the public sees (issue #15: `actor=None` meaning "trusted" let a volunteer publish)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from testigo.core import roles

ROOT = Path(__file__).resolve().parents[2] / "testigo"
# The only places that may raise PermissionDenied themselves, and why.
RAISES_ALLOWED = {
    "core/roles.py": "the decisions",
    "tipline/vault.py": "holding the tip line's key is a fact about keys, not a role (require_key_holder)",
}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_no_module_outside_roles_defines_a_permission_gate_of_its_own():
    gates = [f"{name}:{node.lineno} {node.name}" for name, tree in _modules() for node in ast.walk(tree)
             if isinstance(node, ast.FunctionDef) and name != "core/roles.py"
             and (node.name.startswith("_require") or node.name in {"require_manager", "require_zone_editor"})]
    assert gates == []


def test_permission_denied_is_raised_only_by_roles():
    raised = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None and name not in RAISES_ALLOWED:
                target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(target, ast.Name) and target.id == "PermissionDenied":
                    raised.append(f"{name}:{node.lineno}")
    assert raised == []


def test_nobody_is_refused_every_action_and_the_system_may_do_them_all():
    for action in roles.PERMISSION_OF:
        assert roles.can(None, action) is False
        assert roles.can(roles.SYSTEM, action) is True
    assert roles.can(roles.FIELD_DEVICE, roles.EDIT) and not roles.can(roles.FIELD_DEVICE, roles.PUBLISH)
    with pytest.raises(ValueError):
        roles.can(roles.SYSTEM, "no_such_action")


@pytest.mark.django_db
def test_services_refuse_none_where_they_used_to_trust_it(report_factory, category):
    from testigo.alerts import services as alert_services
    from testigo.alerts import zones
    from testigo.api import services as api_services
    from testigo.channels import services as channel_services
    from testigo.reports import services as report_services
    from testigo.surveys import importing
    from testigo.surveys import services as survey_services

    report = report_factory()
    calls = {
        "update_report": lambda a: report_services.update_report(report=report, actor=a, title="Otro"),
        "add_channel": lambda a: channel_services.add_channel(actor=a, type_code="smssync", name="Teléfono"),
        "create_zone": lambda a: zones.create_zone(actor=a, name_es="Centro", lat=14.1, lon=-87.2, radius_m=500),
        "create_broadcast": lambda a: alert_services.create_broadcast(actor=a, message_es="Aviso", everyone=True),
        "create_import": lambda a: importing.create_import(actor=a, name="p.csv", data=b"Titulo\nRobo\n"),
        "add_device": lambda a: survey_services.add_device(actor=a, name="Teléfono 2"),
    }
    for name, call in calls.items():
        with pytest.raises(PermissionDenied):
            call(None)
        assert call(roles.SYSTEM) is not None, name
    with pytest.raises(PermissionDenied):  # a token for someone else needs MANAGE_TOKENS
        api_services.create_token(user=_staff(), name="t", scope="read", actor=None)


def _staff():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("colega", password="x")
    roles.set_role(user, roles.VOLUNTEER)
    return user


@pytest.mark.django_db
def test_the_system_is_named_in_the_audit_trail_never_stored_as_a_user():
    from testigo.core.models import AuditEvent
    from testigo.surveys import services as survey_services

    survey_services.add_device(actor=roles.SYSTEM, name="Teléfono 3")
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.actor_id is None and event.actor_name == "system"
