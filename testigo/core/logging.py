"""Logging filter that keeps client metadata (addresses, user agents) out of every log line.

Used by Django's LOGGING and by the gunicorn logger class (testigo/core/serverlog.py), so the
web server's own lines ("Invalid request from ip=...") are scrubbed as well as Django's."""

from __future__ import annotations

import ipaddress
import logging
import re
import traceback

MASK = "[address]"
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Anything shaped like an IPv6 address (two colons at least, hex digits, an IPv4 tail, a zone);
# ipaddress then decides. A clock time such as 12:34:56 has the shape but not the validity.
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f.]{0,15}){2,8}(?:%[\w.-]+)?")


def _mask_ipv6(match: re.Match) -> str:
    text = match.group(0)
    core = text.rstrip(".:")  # a sentence's full stop or a "host:" label is not part of it
    try:
        ipaddress.IPv6Address(core.split("%", 1)[0])
    except ValueError:
        return text
    return MASK + text[len(core):]


def scrub(text: str) -> str:
    """The text with every IPv4 and IPv6 address replaced by [address]."""
    return _IPV4.sub(MASK, _IPV6_CANDIDATE.sub(_mask_ipv6, text))  # IPv6 first: ::ffff:1.2.3.4


class StripClientMetadata(logging.Filter):
    """Drops the request object attached by django.request/django.server and masks anything
    that looks like an IP address in the rendered message and in its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not break logging
            return True
        masked = scrub(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when set: render the traceback once, scrubbed.
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return True


class ZonedFormatter(logging.Formatter):
    """Stamps each line with the deployment's time zone (settings.TIME_ZONE, TESTIGO_TIME_ZONE),
    whatever the process's TZ, so the web server's and the worker's lines read the same clock."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - stdlib name
        from datetime import datetime
        from zoneinfo import ZoneInfo

        from django.conf import settings

        stamp = datetime.fromtimestamp(record.created, ZoneInfo(settings.TIME_ZONE))
        return stamp.strftime(datefmt or "%Y-%m-%d %H:%M:%S %z")
