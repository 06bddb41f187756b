"""A job worker (Huey) log line is printed once, through Testigo's address-scrubbing handler,
stamped in the deployment's time zone: run_huey must find the "huey" logger configured (or it
adds its own unscrubbed handler, and the root handler printed a second copy)."""

from __future__ import annotations

import io
import logging
import re

from django.conf import settings
from huey.consumer_options import ConsumerConfig


def _configure_as_run_huey_does(logger: logging.Logger) -> list[logging.Handler]:
    """run_huey's own rule (huey/contrib/djhuey/management/commands/run_huey.py); returns the
    handlers it added so the test can take them away again."""
    before = list(logger.handlers)
    if not logger.handlers:
        ConsumerConfig(workers=1, worker_type="thread").setup_logger(logger)
    return [h for h in logger.handlers if h not in before]


def _printing_handlers() -> list[logging.StreamHandler]:
    """Every stream handler a huey record can reach (huey's, then the root's), pytest's own aside."""
    found = []
    for name in ("huey", ""):
        found += [h for h in logging.getLogger(name).handlers if isinstance(h, logging.StreamHandler)
                  and not type(h).__module__.startswith("_pytest")]
    return found


def test_promise_a_huey_log_record_is_emitted_once_scrubbed_and_in_one_zone():
    logger = logging.getLogger("huey")
    level = logger.level
    added = _configure_as_run_huey_does(logger)
    out = io.StringIO()
    streams = [(h, h.setStream(out)) for h in _printing_handlers()]
    try:
        logger.warning("Task failed at 12:34:56 for peer 203.0.113.7")
        err = out.getvalue()
    finally:
        for handler, stream in streams:
            handler.setStream(stream)
        for handler in added:
            logger.removeHandler(handler)
        logger.setLevel(level)
    lines = [line for line in err.splitlines() if "Task failed" in line]
    assert len(lines) == 1, err
    line = lines[0]
    assert "12:34:56" in line and "203.0.113.7" not in line and "[address]" in line
    # Stamped with the deployment's zone offset (Tegucigalpa: -0600), not the process's UTC.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    offset = datetime.now(ZoneInfo(settings.TIME_ZONE)).strftime("%z")
    assert re.match(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d " + re.escape(offset) + r"\]", line), line
