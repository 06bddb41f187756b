"""The events a webhook can subscribe to: a registry other apps add to (a stories app registers
"story.published" in its AppConfig.ready and calls services.emit when one is published)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

REPORT_PUBLISHED, REPORT_UPDATED, REPORT_VERIFIED, ALERT_SENT = (
    "report.published", "report.updated", "report.verified", "alert.sent")


@dataclass(frozen=True)
class Event:
    name: str
    label: object  # a lazy translation


_REGISTRY: dict[str, Event] = {}


def register(name: str, label) -> Event:
    """Make `name` an event webhooks may subscribe to (idempotent)."""
    event = _REGISTRY.setdefault(name, Event(name, label))
    return event


def registered() -> list[Event]:
    return list(_REGISTRY.values())


def choices() -> list[tuple[str, object]]:
    return [(e.name, e.label) for e in _REGISTRY.values()]


def label(name: str):
    event = _REGISTRY.get(name)
    return event.label if event else name


def register_builtin() -> None:
    register(REPORT_PUBLISHED, _("Report published"))
    register(REPORT_UPDATED, _("Report updated"))
    register(REPORT_VERIFIED, _("Report verified"))
    register(ALERT_SENT, _("Alert sent"))
