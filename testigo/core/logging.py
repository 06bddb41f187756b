"""Logging filter that keeps client metadata (addresses, user agents) out of every log line."""

from __future__ import annotations

import logging
import re

_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b")


class StripClientMetadata(logging.Filter):
    """Drops the request object attached by django.request/django.server and masks anything
    that looks like an IP address in the rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        for attr in ("request", "server_time"):
            if hasattr(record, attr) and attr == "request":
                record.request = None
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not break logging
            return True
        masked = _IP.sub("[address]", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
