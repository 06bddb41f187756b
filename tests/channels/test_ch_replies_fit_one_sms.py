"""Every automatic SMS reply fits one GSM-7 segment in both languages (a UCS-2 or multi-part
acknowledgement costs the organisation two to three times as much per report)."""

import pytest
from django.utils import translation

from testigo.channels import encoding, replies

REPLIES = [lambda: replies.report_received("T-ABCD-EFGH"), replies.empty_report, replies.help_text,
           replies.stopped, lambda: replies.help_text(discreet=True), lambda: replies.stopped(discreet=True),
           lambda: replies.welcome(discreet=True)]


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("reply", REPLIES)
def test_automatic_reply_is_one_gsm7_segment(language, reply):
    with translation.override(language):
        text = reply()
    info = encoding.count(text)
    assert (info.encoding, info.segments) == ("GSM-7", 1), text


def test_spanish_replies_name_the_spanish_keywords():
    with translation.override("es"):
        assert "BAJA" in replies.report_received("T-ABCD-EFGH") and "REPORTE" in replies.stopped()
        assert "AYUDA" in replies.help_text()
