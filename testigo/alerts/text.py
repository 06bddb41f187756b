"""Names and message texts: folding names for lookups, closest matches, templates per language.

Alert SMS should fit one GSM-7 part (160 characters) where possible: the template's fixed words
are short, accents are transliterated for SMS, and only the report title is shortened to fit.
"""

from __future__ import annotations

import difflib
import unicodedata

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from testigo.channels import encoding

SMS_SINGLE = 160


def fold(name: str) -> str:
    """Accent-, case- and spacing-insensitive form of a name ("Colonia  Kennedy" == "colonia kénnedy")."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())[:120]


def closest(wanted: str, names: dict[str, str], n: int = 5) -> list[str]:
    """Up to n display names whose folded form is closest to `wanted` (substring matches first)."""
    key = fold(wanted)
    contains = [display for folded, display in names.items() if key and key in folded]
    fuzzy = difflib.get_close_matches(key, list(names), n=n, cutoff=0.6)
    ordered = contains + [names[f] for f in fuzzy if names[f] not in contains]
    return ordered[:n]


def link(path: str) -> str:
    base = (settings.ALERT_LINK_BASE or settings.CHANNEL_BASE_URL or "").rstrip("/")
    return base + path


def report_link(reference: str) -> str:
    return link(reverse("public:report_detail", args=[reference]))


def fit_sms(template: str, title: str, scheme: str, **values) -> str:
    """Fill `template` ({title} and other fields); for SMS transliterate to GSM-7 and shorten the
    title so the whole text fits one part, when the fixed words leave room for it."""
    text = template.format(title=title, **values)
    if scheme != "tel":
        return text
    text = encoding.transliterate(text)
    if encoding.count(text).segments <= 1:
        return text
    fixed = encoding.transliterate(template.format(title="", **values))
    short = encoding.transliterate(title)
    room = SMS_SINGLE - encoding.gsm7_septets(fixed) - 3  # 3 for "..."
    if room >= 12 and encoding.is_gsm7(fixed + short):
        while short and encoding.gsm7_septets(short) > room:
            short = short[:-1]
        return encoding.transliterate(template.format(title=short.rstrip() + "...", **values))
    return text  # the fixed words alone need more than one SMS, or the text cannot be GSM-7


def report_alert(*, language: str, scheme: str, category: str, title: str, reference: str) -> str:
    with translation.override(language):
        template = _("ALERT {site}: {category}. {title} {link}")
    return fit_sms(template, title, scheme, site=settings.SITE_NAME, category=category, link=report_link(reference))


def rule_alert(*, language: str, scheme: str, count: int, category: str, hours: int, place: str,
               verified: bool = True) -> str:
    """A rule alert names a zone (or no place at all), never a report's place or position; it says
    so when the reports counted are not verified yet."""
    with translation.override(language):
        if verified:
            template = (_("ALERT {site}: {count} reports of {category} in {hours} h near {title}. {link}") if place
                        else _("ALERT {site}: {count} reports of {category} in {hours} h in your area. {link}"))
        else:
            template = (_("ALERT {site}: {count} unverified reports of {category} in {hours} h near {title}. {link}")
                        if place else
                        _("ALERT {site}: {count} unverified reports of {category} in {hours} h in your area. {link}"))
    return fit_sms(template, place, scheme, site=settings.SITE_NAME, count=count, category=category,
                   hours=hours, link=link("/"))


def confirmation(*, language: str, code: str) -> str:
    with translation.override(language):
        return _("Your code to confirm alerts from %(site)s: %(code)s. If you did not ask for it, ignore this.") % {
            "site": settings.SITE_NAME, "code": code}
