"""Template filters that turn stored codes into translated words for staff."""

from __future__ import annotations

from django import template

from testigo.core import audit
from testigo.reports.labels import describe, source_label

register = template.Library()

register.filter("source_label", source_label)


@register.filter
def audit_sentence(event) -> str:
    return describe(event)


@register.filter
def audit_action(event) -> str:
    return audit.action_label(event.action)


@register.filter
def audit_object(event) -> str:
    return audit.object_label(event.object_type, event.object_id)


@register.filter
def audit_raw(event) -> str:
    return audit.raw(event)
