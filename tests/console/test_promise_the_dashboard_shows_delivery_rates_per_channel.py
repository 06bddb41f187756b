"""Promise: the dashboard shows, per channel, the outgoing messages of the period (replies, alerts,
confirmations) — waiting, sent, delivered, failed — and the share sent or delivered, as a chart, a
table and a CSV; counted from the outbox's (created_at, channel, status) index, never by reading
the messages (issue #24)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from testigo.channels.models import Channel, Contact, OutboundMessage
from testigo.channels.selectors import deliveries_by_channel
from testigo.core import roles

pytestmark = pytest.mark.django_db
S = OutboundMessage.Status


@pytest.fixture
def outbox(db):
    sms = Channel.objects.create(type="smssync", name="SMS Tegucigalpa")
    telegram = Channel.objects.create(type="telegram", name="Telegram bot")
    contact = Contact.objects.create(scheme="tel", address="+50499990000")
    now = timezone.now()

    def message(channel, status, *, days_ago=1):
        m = OutboundMessage.objects.create(channel=channel, contact=contact, text="Hola", status=status,
                                           next_attempt_at=now)
        OutboundMessage.objects.filter(pk=m.pk).update(created_at=now - timedelta(days=days_ago))

    for status in [S.SENT] * 5 + [S.DELIVERED] * 3 + [S.FAILED] * 2 + [S.QUEUED, S.SENDING]:
        message(sms, status)
    message(telegram, S.SENT)
    message(telegram, S.FAILED)
    message(telegram, S.FAILED, days_ago=60)  # outside the default 30 days
    return sms, telegram


def _table(html: str, key: str) -> list[list[str]]:
    section = re.search(rf'<section id="{key}".*?</section>', html, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", section, re.S).group(1)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_each_channel_shows_its_messages_by_fate_and_the_share_sent(client_as, outbox):
    html = client_as(roles.ANALYST).get("/console/dashboard/").content.decode()
    assert _table(html, "delivery") == [["SMS Tegucigalpa", "12", "2", "5", "3", "2", "80.0"],
                                        ["Telegram bot", "2", "0", "1", "0", "1", "50.0"]]
    section = re.search(r'<section id="delivery".*?</section>', html, re.S).group(0)
    assert 'role="img"' in section and "<svg" in section


def test_the_csv_has_the_same_numbers(client_as, outbox):
    text = client_as(roles.ADMIN).get("/console/dashboard/delivery.csv").content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Channel", "Messages", "Waiting", "Sent", "Delivered", "Failed", "Sent or delivered (%)"]
    assert rows[1] == ["SMS Tegucigalpa", "12", "2", "5", "3", "2", "80.0"]


def test_the_period_chooses_the_messages(client_as, outbox):
    start = (timezone.localdate() - timedelta(days=90)).isoformat()
    html = client_as(roles.ADMIN).get(f"/console/dashboard/?date_from={start}").content.decode()
    assert ["Telegram bot", "3", "0", "1", "0", "2", "33.3"] in _table(html, "delivery")


def test_no_messages_is_said_plainly(client_as):
    html = client_as(roles.ADMIN).get("/console/dashboard/").content.decode()
    assert "No messages were sent through the channels in this period." in html


def test_the_counts_are_read_from_the_index_alone(outbox):
    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL's planner chooses by table statistics")
    now = timezone.now()
    qs = (OutboundMessage.objects.filter(created_at__gte=now - timedelta(days=30), created_at__lt=now)
          .values_list("channel_id", "status").order_by())
    from django.db.models import Count

    plan = qs.annotate(n=Count("*")).explain()
    assert "COVERING INDEX outbound_time_channel_status" in plan, plan
    assert [r.channel for r in deliveries_by_channel(now - timedelta(days=30), now)] == ["SMS Tegucigalpa",
                                                                                        "Telegram bot"]
