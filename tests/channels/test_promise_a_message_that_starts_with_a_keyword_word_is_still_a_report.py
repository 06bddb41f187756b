"""People write "Reporte desde la colonia…" or "Ayuda por favor, hay un incendio" as the report
itself. A keyword counts only alone, followed by a separator, or written in capitals."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from testigo.channels.keywords import HELP, REPORT, STOP, parse
from testigo.channels.models import InboundMessage, OutboundMessage
from testigo.reports.models import Report

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def phone(make_channel):
    return make_channel("smssync", secret="s3cret")


def sms(client, channel, text, message_id):
    body = urlencode({"from": "+50499990001", "message": text, "message_id": message_id, "secret": "s3cret",
                      "sent_timestamp": "1700000000123"})
    return client.post(f"/ch/smssync/{channel.uuid}/", body, content_type=FORM)


@pytest.mark.parametrize("text", ["Reporte desde la colonia Kennedy: robaron dos motos",
                                  "Ayuda por favor, hay un incendio en el mercado",
                                  "baja la corriente del río, la gente no puede pasar",
                                  "Alto índice de robos en la colonia"])
def test_a_sentence_that_starts_with_a_keyword_word_is_a_report_of_its_whole_text(client, phone, text):
    assert sms(client, phone, text, "m1").status_code == 200
    report = Report.objects.get()
    assert report.description == text
    assert InboundMessage.objects.get().keyword == REPORT


def test_help_and_stop_count_only_as_the_whole_message_as_carriers_treat_them():
    for text in ("ayuda", "Ayuda.", "¡AYUDA!", "help", " HELP "):
        assert parse(text).keyword == HELP, text
    for text in ("baja", "Baja!", "STOP", "stop.", "ALTO"):
        assert parse(text).keyword == STOP, text
    # ...never with more words: whatever the case or the separator, the message is a report.
    for text in ("ayuda por favor", "AYUDA HAY UN INCENDIO EN EL MERCADO", "Ayuda: nos están disparando",
                 "Baja el agua", "ALTO por favor", "STOP de buses sin luz", "stop de buses", "REPORTE1 robo"):
        assert (parse(text).keyword, parse(text).rest, parse(text).explicit) == (REPORT, text, False), text


def test_other_keywords_count_with_a_separator_or_in_capitals():
    for text in ("REPORTE robo en la parada", "reporte: robo", "Reporte - robo", "reporte"):
        assert parse(text).keyword == REPORT and parse(text).explicit, text
    for text in ("Reporte desde la colonia", "reportes de robos"):
        assert not parse(text).explicit, text


def test_the_keyword_is_not_part_of_the_report_when_it_is_marked():
    assert (parse("REPORTE robo en la parada").rest, parse("reporte: robo en la parada").rest,
            parse("Reporte - robo").rest, parse("reporte\nbalacera").rest) == (
        "robo en la parada", "robo en la parada", "robo", "balacera")
    assert parse("REPORTE: ¿vieron la moto?").rest == "¿vieron la moto?"


def test_a_lower_case_stop_inside_a_sentence_does_not_unsubscribe(client, phone):
    sms(client, phone, "Stop de buses sin luz, asaltan de noche", "m1")
    message = InboundMessage.objects.get()
    assert message.keyword == REPORT and message.contact.opted_out_at is None
    assert Report.objects.get().description == "Stop de buses sin luz, asaltan de noche"
    assert OutboundMessage.objects.count() == 1  # the report's acknowledgement, not a STOP confirmation

