"""The one pipeline: stored before acknowledged, idempotent, keywords, conversations, opt-out."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from testigo.channels import replies
from testigo.channels.models import Contact, Conversation, InboundMessage, InboundRejected, OutboundMessage
from testigo.reports.models import Report

FORM = "application/x-www-form-urlencoded"


def sms(client, channel, text, sender="+50499990001", message_id="m-1", secret="s3cret"):
    """What SMSSync sends: a urlencoded form POST, timestamp in milliseconds."""
    body = urlencode({"from": sender, "message": text, "message_id": message_id, "sent_to": "+50422220000",
                      "secret": secret, "device_id": "1", "sent_timestamp": "1700000000123"})
    return client.post(f"/ch/smssync/{channel.uuid}/", body, content_type=FORM)


@pytest.fixture
def phone(make_channel):
    return make_channel("smssync", secret="s3cret")


def test_gateway_retrying_600_times_makes_one_report(client, phone):
    for _ in range(600):
        response = sms(client, phone, "REPORTE robo en la parada de buses")
        assert response.status_code == 200
        assert response.json() == {"payload": {"success": True, "error": None}}
    assert InboundMessage.objects.count() == 1
    assert Report.objects.count() == 1
    report = Report.objects.get()
    assert report.source == "smssync" and report.description == "robo en la parada de buses"
    assert report.reporter_contact == "+50499990001"


def _free_connections() -> int:
    """How many more connections the database server accepts (PostgreSQL is shared with others)."""
    if connection.vendor != "postgresql":
        return 100
    with connection.cursor() as cursor:
        cursor.execute("select current_setting('max_connections')::int - count(*) from pg_stat_activity")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_100_concurrent_replays_of_one_message_make_one_report(make_channel):
    channel = make_channel("smssync", secret="s3cret")
    # 100 threads at once; on a busy shared PostgreSQL, as many as it has connections for, each
    # replaying until the 100 replays are done.
    width = max(10, min(100, _free_connections() - 15))
    barrier, statuses, lock = threading.Barrier(width), [], threading.Lock()
    todo = list(range(100))

    def replay():
        barrier.wait()
        while True:
            with lock:
                if not todo:
                    break
                todo.pop()
            status = sms(Client(), channel, "incendio en el mercado", message_id="same-uuid").status_code
            with lock:
                statuses.append(status)
        connection.close()

    threads = [threading.Thread(target=replay) for _ in range(width)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 100
    assert InboundMessage.objects.filter(provider_id="same-uuid").count() == 1
    assert Report.objects.count() == 1


def test_sent_timestamp_is_read_as_milliseconds(client, phone):
    sms(client, phone, "hola")
    assert InboundMessage.objects.get().sent_at.timestamp() == pytest.approx(1700000000.123)


def test_follow_up_within_the_window_joins_the_conversation(client, phone, settings):
    settings.CONVERSATION_WINDOW_HOURS = 24
    sms(client, phone, "balacera en la colonia", message_id="a")
    sms(client, phone, "hay dos heridos", message_id="b")
    assert Report.objects.count() == 1
    assert set(InboundMessage.objects.values_list("report", flat=True)) == {Report.objects.get().pk}
    Conversation.objects.update(last_message_at=timezone.now() - timedelta(hours=25))
    sms(client, phone, "otro asalto, otro día", message_id="c")
    assert Report.objects.count() == 2


def test_new_report_gets_a_reply_with_its_reference(client, phone):
    sms(client, phone, "REPORT flooding on 5th street", message_id="x")
    report = Report.objects.get()
    reply = OutboundMessage.objects.get()
    assert report.reference in reply.text and reply.report == report
    assert Contact.objects.get().language == "en"
    assert report.language == "en"


@pytest.mark.usefixtures("english")
def test_stop_opts_out_on_every_channel_of_that_number(client, phone, make_channel, admin_user):
    sms(client, phone, "robo de celular", message_id="1")
    report = Report.objects.get()
    sms(client, phone, "BAJA", message_id="2")
    contact = Contact.objects.get()
    assert contact.opted_out_at is not None
    confirmation = OutboundMessage.objects.order_by("-id").first()
    with translation.override("es"):  # the reply speaks the sender's language, not the staff's
        assert confirmation.text == replies.stopped()
    # The same number writing through another gateway is the same contact, still opted out.
    other = make_channel("twilio", account_sid="AC1", auth_token="t", from_number="+15005550006")
    from testigo.channels import services
    from testigo.channels.types.base import Inbound

    services.receive(channel=other, inbound=Inbound("SM1", "tel", "50499990001", "otra cosa"))
    before = OutboundMessage.objects.count()
    assert Contact.objects.count() == 1
    with pytest.raises(Exception, match="opt-out"):
        services.reply(report=report, actor=admin_user, text="¿Sigue ahí?")
    assert OutboundMessage.objects.count() == before


def test_keyword_again_after_opt_out_resubscribes(client, phone):
    sms(client, phone, "STOP", message_id="1")
    sms(client, phone, "AYUDA", message_id="2")
    assert Contact.objects.get().opted_out_at is None
    assert OutboundMessage.objects.order_by("-id").first().text == replies.help_text()


def test_alert_keyword_goes_to_the_alerts_feature_with_the_senders_language(client, phone, monkeypatch):
    from testigo.alerts import subscriptions  # registers ALERT with channels' keyword registry

    monkeypatch.setattr(subscriptions, "handle_alert_keyword",
                        lambda *, channel, contact, text, language: f"alert[{language}:{text}]")
    sms(client, phone, "ALERTA Comayagüela", message_id="1")
    sms(client, phone, "alert: downtown", sender="+50499990002", message_id="2")
    texts = sorted(OutboundMessage.objects.values_list("text", flat=True))
    assert texts == ["alert[en:downtown]", "alert[es:Comayagüela]"]
    assert Report.objects.count() == 0


def test_bad_secret_is_403_counted_and_logs_no_content(client, phone, caplog):
    caplog.set_level(logging.DEBUG)
    response = sms(client, phone, "texto secreto del denunciante", secret="wrong")
    assert response.status_code == 403
    assert response.json()["payload"]["success"] is False
    phone.refresh_from_db()
    assert phone.auth_failures == 1
    assert InboundMessage.objects.count() == 0
    assert "texto secreto" not in caplog.text and "+50499990001" not in caplog.text


def test_malformed_payload_is_400_with_precise_message_and_kept_without_secret(client, phone):
    response = client.post(f"/ch/smssync/{phone.uuid}/", "from=%2B50499990001&secret=s3cret", content_type=FORM)
    assert response.status_code == 400
    assert "'message'" in response.json()["payload"]["error"]
    rejected = InboundRejected.objects.get()
    assert "from=%2B50499990001" in rejected.body and "s3cret" not in rejected.body
    assert rejected.channel == phone and rejected.reason == "missing 'message'"
    assert not hasattr(rejected, "ip")


def test_unknown_channel_is_404(client, phone):
    assert client.post("/ch/smssync/00000000-0000-0000-0000-000000000000/", {}).status_code == 404
    assert client.post(f"/ch/twilio/{phone.uuid}/", {}).status_code == 404


def test_a_processing_failure_keeps_the_message_for_the_periodic_job(client, phone, monkeypatch):
    from testigo.channels import processing, tasks

    monkeypatch.setattr(processing.report_services, "create_report", _boom)
    assert sms(client, phone, "se cayó un puente").status_code == 200
    message = InboundMessage.objects.get()
    assert message.processed_at is None
    monkeypatch.undo()
    InboundMessage.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    tasks.catch_up.call_local()
    assert Report.objects.get().description == "se cayó un puente"


def _boom(**kwargs):
    raise RuntimeError("database hiccup")


def test_with_a_real_queue_drain_jobs_are_debounced_and_process_everything(phone, monkeypatch):
    from huey.contrib.djhuey import HUEY

    from testigo.channels import inbound, services, tasks
    from testigo.channels.types.base import Inbound

    requested = []
    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(tasks, "drain_inbound_task", lambda: requested.append(1))
    monkeypatch.setattr(inbound, "_last_drain_request", 0.0)
    for i in range(5):
        services.receive(channel=phone, inbound=Inbound(f"id-{i}", "tel", f"+5049999000{i}", f"robo número {i}"))
    assert len(requested) == 1  # one drain request for the burst, not one job per message
    assert InboundMessage.objects.filter(processed_at__isnull=True).count() == 5
    assert services.drain_inbound(grace_s=0) == 5
    assert Report.objects.count() == 5
