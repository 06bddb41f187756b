"""The demo deployment `testigo demo` builds: reports, alert zones and a rule, an SMSSync channel
with a simulated SMS conversation, a survey with answers, and the tip line with a sample tip.

Every part is created through the same services an administrator's clicks go through (zones as
an uploaded file, the channel as added in the console, survey answers as ODK Collect posts them,
the tip sealed like a real one), and only when it is missing, so running `make demo` again adds
nothing. Demo text follows the deployment's language (Spanish by default).

This app is the top layer: it may use every app below it, and nothing imports it but its own
`demo` and `seed_demo` commands.
"""

from __future__ import annotations

from django.conf import settings


def in_language(es: str, en: str) -> str:
    """Demo text in the deployment's language: English only when TESTIGO_LANGUAGE is English."""
    return en if settings.LANGUAGE_CODE.lower().startswith("en") else es
