"""Seed the whole demo, part by part, each part only when it is missing (a second run adds nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from testigo.channels.models import Channel
from testigo.demo import places, sms, stories, survey, tipline, zones
from testigo.reports.models import Report
from testigo.reports.seed import seed_categories, seed_reports


@dataclass
class Seeded:
    reports: int = 0
    zones: int = 0
    places: int = 0
    rule: bool = False
    channel: Channel | None = None
    sms_messages: int = 0
    survey_answers: int = 0
    stories: int = 0
    tipline: tipline.TiplineDemo | None = None


def seed_all(*, reports: int = 2000, force_reports: bool = False, admin=None, password: str | None = None) -> Seeded:
    """Seed reports (when there are none), zones and a rule, the SMSSync channel with its
    conversations, the survey with answers, and, given the administrator's password (known only
    when the demo has just created them), the tip line with a sample tip."""
    done = Seeded()
    if reports and (force_reports or not Report.objects.exists()):
        english = 1.0 if settings.LANGUAGE_CODE.lower().startswith("en") else 0.0
        done.reports = seed_reports(reports, english=english)
    else:
        seed_categories()
    done.zones = zones.seed_zones()
    done.places = places.seed_places()
    done.rule = zones.seed_rule() is not None
    done.channel = sms.seed_channel()
    done.sms_messages = sms.seed_conversations(channel=done.channel, staff=admin)
    _survey, done.survey_answers = survey.seed_survey()
    done.stories = stories.seed_story()
    if admin is not None and password:
        done.tipline = tipline.setup_tipline(admin=admin, password=password)
    return done


def twofactor_optional() -> bool:
    """On the demo's first run: two-factor login optional for administrators and tip-line staff
    (required by default), so trying the demo needs no authenticator app. The console's two-factor
    settings page turns it back on; a real deployment never runs this."""
    from testigo.core import twofactor
    from testigo.core.models import TwoFactorRequirement

    for scope in twofactor.DEFAULT_REQUIRED:
        TwoFactorRequirement.objects.update_or_create(scope=scope, defaults={"required": False})
    return True


def where_to_look(base_url: str, *, channel: Channel | None, codename: str = "") -> list[tuple[str, str]]:
    """(what, address) pairs printed after `testigo demo` has seeded: the first pages to open."""
    base = base_url.rstrip("/")
    rows = [
        (_("Public map"), base + reverse("public:home")),
        (_("Console inbox (log in as the administrator above)"), base + reverse("console:inbox")),
    ]
    if channel is not None:
        rows.append((_("Simulate a message: play a citizen's phone (try “ALERT Kennedy”)"),
                     base + reverse("channels_console:simulate", args=[channel.pk])))
    rows += [
        (_("Alerts, zones and rules"), base + reverse("alerts_console:list")),
        (_("Tip line in the console"), base + reverse("tipconsole:list")),
        (_("Tip line as a source sees it"), base + reverse("tipline:submit")),
        (_("Surveys"), base + reverse("surveys:list")),
    ]
    if codename:
        rows.append((_("Codename of the sample tip's source (to read its conversation)"), codename))
    return rows
