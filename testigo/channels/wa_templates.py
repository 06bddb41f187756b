"""WhatsApp's approved message templates: what may be sent to a person more than 24 hours after
they last wrote (reference: messaging-media.md §2.5).

Inside the window a WhatsApp channel sends text as any other channel. Outside it, Meta accepts only
a template an admin had approved in WhatsApp Manager and registered here, filled with parameters:
- an outbox row says what it is (`OutboundMessage.template["purpose"]`): "alert" (alerts.deliveries)
  or, by default, "other" (replies, confirmations, help);
- the channel's active template for that purpose, in the person's language if one is registered, is
  filled: an "other" template has one parameter, the message; an "alert" template one (the alert
  text) or two (the subscriber's zone, or the site name, then the alert text);
- no such template: the row fails with a reason the console shows in the reader's language
  (REASONS), never dropped silently and never retried for ever;
- Meta refusing free-form text anyway (error 131047, at once or in a later status report): the row
  fails with that reason and the same content is queued again, once, as a template.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.channels.models import Channel, MessageTemplate, OutboundMessage
from testigo.channels.types import get as get_type
from testigo.channels.types.whatsapp import Refused
from testigo.core import audit, roles

Purpose = MessageTemplate.Purpose
# Meta's rules for a template: name of lowercase letters, digits and underscores, at most 512
# characters; body of at most 1024 characters; numbered variables {{1}}…{{n}}.
NAME = re.compile(r"[a-z0-9_]{1,512}")
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")  # as Meta lists them: "es", "es_MX", "en_US", "fil"
MAX_BODY = 1024
# A parameter: at most 1024 characters, no newline or tab, no run of more than 4 spaces (Meta
# refuses the send otherwise), never empty.
MAX_PARAMETER = 1024
VARIABLE = re.compile(r"\{\{(.*?)\}\}")
# How many parameters each purpose fills (see the module docstring).
PARAMETER_COUNTS = {Purpose.OTHER: (1,), Purpose.ALERT: (1, 2)}

# Sent when a refused row was queued again as a template: alerts move their delivery to `new`.
outbound_replaced = Signal()  # kwargs: old, new (OutboundMessage)

# Why a row failed, by OutboundMessage.error_code; formatted with channel and purpose.
REASONS = {
    "wa_no_template": gettext_lazy(
        "Outside WhatsApp's 24-hour window and no approved template for %(purpose)s is registered on "
        "channel %(channel)s."),
    "wa_refused_resent": gettext_lazy(
        "WhatsApp refused it: more than 24 hours had passed since the person last wrote (error 131047). "
        "Sent again as an approved template."),
    "wa_refused_no_template": gettext_lazy(
        "WhatsApp refused it: more than 24 hours had passed since the person last wrote (error 131047), and "
        "no approved template for %(purpose)s is registered on channel %(channel)s."),
    "wa_refused": gettext_lazy(
        "WhatsApp refused it: more than 24 hours had passed since the person last wrote (error 131047)."),
}


def variables(body: str) -> list[str]:
    return [v.strip() for v in VARIABLE.findall(body or "")]


def parameter_count(body: str) -> int:
    """How many parameters the body takes: its highest variable number ({{1}} {{2}} → 2)."""
    numbers = [int(v) for v in variables(body) if v.isdigit()]
    return max(numbers, default=0)


def purpose_label(purpose: str) -> str:
    return str(dict(Purpose.choices).get(purpose, purpose))


def reason(code: str, *, channel_name: str, purpose: str) -> str:
    """The reason for `code` in the active language ("" for a code that is not ours)."""
    text = REASONS.get(code)
    return str(text) % {"channel": channel_name, "purpose": purpose_label(purpose)} if text else ""


def describe(message: OutboundMessage) -> str:
    """Why the row failed, in the active language when it is one of ours; else as stored."""
    found = reason(message.error_code, channel_name=message.channel.name,
                   purpose=(message.template or {}).get("purpose") or Purpose.OTHER)
    return found or message.error


def _english(code: str, *, channel: Channel, purpose: str) -> str:
    with translation.override("en"):
        return reason(code, channel_name=channel.name, purpose=purpose)


# --- choosing and filling ----------------------------------------------------------------------
def choose(channel: Channel, *, purpose: str, language: str = "") -> MessageTemplate | None:
    """The channel's active template for `purpose`: in `language` if one is, else in the
    deployment's language, else the first registered."""
    found = list(MessageTemplate.objects.filter(channel=channel, purpose=purpose, is_active=True).order_by("pk"))
    for wanted in (language, settings.LANGUAGE_CODE):
        primary = (wanted or "").replace("-", "_").split("_")[0].lower()
        match = next((t for t in found if primary and t.language.split("_")[0] == primary), None)
        if match:
            return match
    return found[0] if found else None


def clean_parameter(text: str) -> str:
    """A text as Meta accepts it in a parameter: one line, single spaces, at most MAX_PARAMETER."""
    text = " ".join(str(text or "").split()) or "-"
    return text if len(text) <= MAX_PARAMETER else text[:MAX_PARAMETER - 1].rstrip() + "…"


def parameters(template: MessageTemplate, message: OutboundMessage) -> list[str]:
    """What fills the template's variables for this row (see the module docstring)."""
    values = [message.text]
    if parameter_count(template.body) == 2:
        values = [(message.template or {}).get("place") or settings.SITE_NAME, message.text]
    return [clean_parameter(v) for v in values]


def template_body(template: MessageTemplate, message: OutboundMessage, recipient: dict) -> dict:
    """The Cloud API body sending `message` as `template` (`recipient`: {"to": …} or {"recipient": …})."""
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", **recipient, "type": "template",
            "template": {"name": template.name, "language": {"code": template.language}}}
    params = parameters(template, message)
    if parameter_count(template.body):
        body["template"]["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p}
                                                                            for p in params]}]
    return body


def needed(channel: Channel, message: OutboundMessage) -> MessageTemplate:
    """The template to send `message` with outside the window, or Refused with the reason."""
    spec = message.template or {}
    purpose = spec.get("purpose") or Purpose.OTHER
    template = choose(channel, purpose=purpose, language=spec.get("language") or message.contact.language)
    if template is None:
        raise Refused(_english("wa_no_template", channel=channel, purpose=purpose), "wa_no_template")
    return template


def after_refusal(message: OutboundMessage) -> OutboundMessage | None:
    """Meta refused free-form text (131047) for a row already marked failed: store why, and queue
    the same content again as a template, once (never for a row that was itself such a resend).
    Returns the new row, if any."""
    from testigo.channels import outbox

    spec = dict(message.template or {})
    purpose = spec.get("purpose") or Purpose.OTHER
    new = None
    if spec.get("resend_of"):
        code = "wa_refused"
    elif choose(message.channel, purpose=purpose, language=spec.get("language") or message.contact.language):
        new = outbox.queue(channel=message.channel, contact=message.contact, text=message.text,
                           report=message.report, in_reply_to=message.in_reply_to,
                           template={**spec, "purpose": purpose, "resend_of": message.pk})
        code = "wa_refused_resent" if new else "wa_refused"
    else:
        code = "wa_refused_no_template"
    error = _english(code, channel=message.channel, purpose=purpose)
    OutboundMessage.objects.filter(pk=message.pk).update(error=error[:500], error_code=code)
    message.error, message.error_code = error[:500], code
    if new is not None:
        outbound_replaced.send(sender=OutboundMessage, old=message, new=new)
    return new


# --- registering (admins) ----------------------------------------------------------------------
def _clean(*, channel: Channel, name: str, language: str, purpose: str, body: str) -> dict:
    name, language, body = (name or "").strip(), (language or "").strip(), (body or "").strip()
    if not getattr(get_type(channel.type), "templates", False):
        raise ValidationError(_("This channel does not use message templates."))
    if not NAME.fullmatch(name):
        raise ValidationError(_("The template name must be as approved in WhatsApp Manager: lowercase letters, "
                                "digits and underscores, at most 512 characters."))
    if not LANGUAGE.fullmatch(language):
        raise ValidationError(_("The language code must be as approved, e.g. es, es_MX or en_US."))
    if purpose not in PARAMETER_COUNTS:
        raise ValidationError(_("Choose what the template is for."))
    if not body or len(body) > MAX_BODY:
        raise ValidationError(_("Paste the approved body text (at most %(n)d characters).") % {"n": MAX_BODY})
    found = variables(body)
    if any(not v.isdigit() for v in found):
        raise ValidationError(_("Only numbered variables are supported: {{1}}, {{2}}…"))
    count = parameter_count(body)
    if {int(v) for v in found} != set(range(1, count + 1)):
        raise ValidationError(_("The variables must be numbered from {{1}} without gaps."))
    if count not in PARAMETER_COUNTS[purpose]:
        raise ValidationError(
            _("A template for replies and other messages takes exactly one variable, {{1}}: the message.")
            if purpose == Purpose.OTHER else
            _("A template for alerts takes one variable ({{1}}: the alert) or two ({{1}}: the zone, "
              "{{2}}: the alert)."))
    return {"name": name, "language": language, "purpose": purpose, "body": body}


@transaction.atomic
def save_template(*, actor, channel: Channel, template: MessageTemplate | None = None, name: str, language: str,
                  purpose: str, body: str, is_active: bool = True) -> MessageTemplate:
    """Register (or change) a template as Meta approved it (admins). Validated against Meta's
    rules, unique per name and language on the channel, and audited."""
    roles.require(actor, roles.MANAGE_CHANNELS)
    fields = _clean(channel=channel, name=name, language=language, purpose=purpose, body=body)
    taken = MessageTemplate.objects.filter(channel=channel, name=fields["name"], language=fields["language"])
    if template is not None:
        taken = taken.exclude(pk=template.pk)
    if taken.exists():
        raise ValidationError(_("This channel already has a template with that name and language."))
    created = template is None
    template = template or MessageTemplate(channel=channel)
    for key, value in fields.items():
        setattr(template, key, value)
    template.is_active = is_active
    template.save()
    audit.record(action="channels.template_added" if created else "channels.template_changed", actor=actor,
                 obj=template, data={"channel": channel.pk, **fields, "active": is_active})
    return template
