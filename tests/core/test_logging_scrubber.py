"""The address scrubber used by every log handler: every IPv4/IPv6 form is masked, and nothing
that merely looks like one (a clock time, a MAC address, a version) is."""

from __future__ import annotations

import logging

import pytest

from testigo.core.logging import StripClientMetadata


def scrub(text: str) -> str:
    """The line as a handler with the filter would write it."""
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, text, (), None)
    StripClientMetadata().filter(record)
    return record.getMessage()


@pytest.mark.parametrize("text", [
    "Invalid request from ip=203.0.113.7: bad line",
    "peer 2001:db8::1 reset",
    "peer [2001:db8:0:0:0:0:0:1]:443",
    "peer fe80::1%eth0",
    "peer ::1.",
    "mapped ::ffff:203.0.113.7",
])
def test_promise_every_address_form_is_masked(text):
    masked = scrub(text)
    assert "[address]" in masked
    for fragment in ("203.0.113", "2001:db8", "fe80", "::1", "ffff"):
        assert fragment not in masked


@pytest.mark.parametrize("text", [
    "[2026-12-07 12:34:56 -0600] [123] [WARNING] Worker timeout",
    "took 00:01:30.5 to import",
    "started at 23:59:59, done at 0:00:01",
    "mac aa:bb:cc:dd:ee:ff",
])
def test_clock_times_and_other_colon_numbers_are_not_addresses(text):
    assert scrub(text) == text


def test_the_filter_scrubs_messages_arguments_and_tracebacks():
    try:
        raise ConnectionError("reset by 198.51.100.4")
    except ConnectionError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "from %s at 10:11:12", ("2001:db8::7",),
                                   sys.exc_info())
    record.request = object()
    assert StripClientMetadata().filter(record)
    rendered = logging.Formatter().format(record)
    assert record.request is None
    assert "from [address] at 10:11:12" in rendered
    assert "198.51.100.4" not in rendered and "2001:db8" not in rendered and "[address]" in rendered.splitlines()[-1]
