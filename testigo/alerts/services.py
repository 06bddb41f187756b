"""Every write to alerts that staff or events cause: alerts for published reports, rule alerts,
broadcasts (create, send, cancel), rules. Zones are in zones.py, subscriptions in subscriptions.py.

Permissions: everything here needs roles.MANAGE_ALERTS (coordinators and admins, not moderators:
a broadcast can reach 100,000 people). The operator's command line acts as roles.SYSTEM.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.alerts import deliveries, selectors
from testigo.alerts import text as texts
from testigo.alerts.models import Alert, Rule, Zone
from testigo.core import audit, roles
from testigo.reports import selectors as report_selectors
from testigo.reports.models import Category, Report

MAX_BROADCAST_CHARS = 1000


def alert_for_published_report(*, report_id: int) -> Alert | None:
    """Tell the subscribers whose zone and categories cover a newly published report, once.

    Matching uses the report's public (fuzzed) location and public text only."""
    report = Report.objects.filter(pk=report_id).first()
    public = report_selectors.public_report(report.reference) if report else None
    if public is None or public["public_lat"] is None:
        return None
    categories = list(public["categories"])
    with transaction.atomic():
        # The report row lock makes two workers handling the same publication take turns.
        Report.objects.select_for_update().filter(pk=report_id).first()
        if Alert.objects.filter(kind=Alert.Kind.REPORT, report_id=report_id).exists():
            return None
        category = categories[0] if categories else None
        alert = Alert.objects.create(kind=Alert.Kind.REPORT, status=Alert.Status.SENT, report=report,
                                     category=category, lat=public["public_lat"], lon=public["public_lon"],
                                     sent_at=timezone.now())
        found = selectors.recipients_at(lat=public["public_lat"], lon=public["public_lon"],
                                        category_ids={c.pk for c in categories})
        title = public["public_title"] or ""

        def text_for(language: str, scheme: str) -> str:
            name = (category.name_en if language == "en" and category.name_en else category.name_es) if category else ""
            return texts.report_alert(language=language, scheme=scheme, category=name, title=title,
                                      reference=public["reference"])

        queued = deliveries.queue_alert(alert=alert, recipients=found, text_for=text_for, cooldown=True)
        alert.message_es, alert.message_en = text_for("es", "tel"), text_for("en", "tel")
        alert.save(update_fields=["message_es", "message_en"])
        audit.record(action="alerts.report_alert", obj=alert, data={"report": public["reference"], "queued": queued})
    return alert


def rule_alert(*, rule: Rule, lat: float, lon: float, count: int, radius_m: int) -> Alert:
    """The alert of a rule that fired around a coarse cell centre (lat, lon), covering `radius_m`:
    a draft for a coordinator, or sent at once if the rule says so. Called by rules.evaluate
    inside its transaction. The text names the zone covering most of the area (never a place
    chosen from a report) and says when the reports counted are not verified yet."""
    place = selectors.place_of_area(lat=lat, lon=lon, radius_m=radius_m)

    def text_for(language: str) -> str:
        category = rule.category.name_en if language == "en" and rule.category.name_en else rule.category.name_es
        name = (place.name_en if language == "en" and place.name_en else place.name_es) if place else ""
        return texts.rule_alert(language=language, scheme="tel", count=count, category=category, hours=rule.hours,
                                place=name, verified=rule.verified_only)

    alert = Alert.objects.create(kind=Alert.Kind.RULE, rule=rule, lat=lat, lon=lon, radius_m=radius_m,
                                 category=rule.category, message_es=rule.message_es or text_for("es"),
                                 message_en=rule.message_en or text_for("en"))
    audit.record(action="alerts.rule_fired", obj=alert, data={"rule": rule.pk, "reports": count})
    if rule.send_immediately:
        _send(alert=alert, actor=roles.SYSTEM)
    return alert


def recipients_of(alert: Alert) -> list[selectors.Recipient]:
    if alert.kind == Alert.Kind.BROADCAST:
        zone_ids = list(alert.zones.values_list("pk", flat=True))
        cats = [alert.category_id] if alert.category_id else None
        return selectors.broadcast_recipients(zone_ids=zone_ids, category_ids=cats, everyone=not zone_ids)
    categories = {alert.category_id} if alert.category_id else None
    if alert.kind == Alert.Kind.RULE:
        # An area, not a point: who is told must not depend on where inside it the reports are.
        return selectors.recipients_in_area(lat=alert.lat, lon=alert.lon, radius_m=alert.radius_m or 0,
                                            category_ids=categories)
    return selectors.recipients_at(lat=alert.lat, lon=alert.lon, category_ids=categories)


def _send(*, alert: Alert, actor) -> int:
    def text_for(language: str, scheme: str) -> str:
        return (alert.message_en if language == "en" and alert.message_en else alert.message_es)

    queued = deliveries.queue_alert(alert=alert, recipients=recipients_of(alert), text_for=text_for,
                                  cooldown=alert.kind != Alert.Kind.BROADCAST, actor=actor)
    alert.status, alert.sent_at = Alert.Status.SENT, timezone.now()
    alert.save(update_fields=["status", "sent_at"])
    audit.record(action="alerts.sent", actor=actor, obj=alert, data={"kind": alert.kind, "queued": queued})
    return queued


@transaction.atomic
def create_broadcast(*, actor, message_es: str, message_en: str = "", zone_ids: list[int] | None = None,
                     category_id: int | None = None, everyone: bool = False) -> Alert:
    """A draft broadcast to the subscribers of some zones (or everyone); preview it, then send it."""
    roles.require(actor, roles.MANAGE_ALERTS)
    message_es, message_en = (message_es or "").strip(), (message_en or "").strip()
    if not message_es:
        raise ValidationError(_("Write the message."))
    if len(message_es) > MAX_BROADCAST_CHARS or len(message_en) > MAX_BROADCAST_CHARS:
        raise ValidationError(_("The message is too long: at most %(n)d characters.") % {"n": MAX_BROADCAST_CHARS})
    zones = list(Zone.objects.filter(pk__in=zone_ids or []))
    if not zones and not everyone:
        raise ValidationError(_("Choose at least one zone, or send to every subscriber."))
    category = Category.objects.filter(pk=category_id).first() if category_id else None
    alert = Alert.objects.create(kind=Alert.Kind.BROADCAST, message_es=message_es, message_en=message_en,
                                 category=category, created_by=roles.person(actor))
    alert.zones.set(zones)
    audit.record(action="alerts.broadcast_drafted", actor=actor, obj=alert, data={"zones": [z.pk for z in zones]})
    return alert


def preview(*, alert: Alert) -> dict:
    """Recipient count, segments, encoding, cost and time to send, per channel. Segments are
    counted only for the languages with a text: English readers of a Spanish-only alert get the
    Spanish text, which is already counted."""
    texts = {"es": alert.message_es}
    if alert.message_en:
        texts["en"] = alert.message_en
    return selectors.preview(recipients=recipients_of(alert), texts=texts)


@transaction.atomic
def send_alert(*, actor, alert: Alert) -> int:
    """Send a draft (a broadcast, or a rule alert waiting for approval); returns messages queued."""
    roles.require(actor, roles.MANAGE_ALERTS)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.DRAFT:
        raise ValidationError(_("This alert was already sent or cancelled."))
    return _send(alert=alert, actor=actor)


@transaction.atomic
def discard_alert(*, actor, alert: Alert) -> None:
    """Drop a draft without sending it."""
    roles.require(actor, roles.MANAGE_ALERTS)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != Alert.Status.DRAFT:
        raise ValidationError(_("Only a draft can be discarded."))
    alert.status = Alert.Status.DISCARDED
    alert.save(update_fields=["status"])
    audit.record(action="alerts.discarded", actor=actor, obj=alert, data={})


@transaction.atomic
def cancel_alert(*, actor, alert: Alert) -> int:
    """Stop the messages of an alert that have not left yet; returns how many were withdrawn."""
    roles.require(actor, roles.MANAGE_ALERTS)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    withdrawn = deliveries.cancel_pending(alert=alert)
    alert.status, alert.cancelled_at = Alert.Status.CANCELLED, timezone.now()
    alert.save(update_fields=["status", "cancelled_at"])
    audit.record(action="alerts.cancelled", actor=actor, obj=alert, data={"withdrawn": withdrawn})
    return withdrawn


@transaction.atomic
def save_rule(*, actor, rule: Rule | None = None, **fields) -> Rule:
    """Create or change a threshold rule."""
    roles.require(actor, roles.MANAGE_ALERTS)
    rule = rule or Rule(created_by=roles.person(actor))
    for name, value in fields.items():
        setattr(rule, name, value)
    if not rule.min_reports or rule.min_reports < 2:
        raise ValidationError(_("A rule needs at least 2 reports."))
    rule.full_clean(exclude=["created_by"])
    rule.save()
    audit.record(action="alerts.rule_saved", actor=actor, obj=rule, data={k: str(v) for k, v in fields.items()})
    return rule
