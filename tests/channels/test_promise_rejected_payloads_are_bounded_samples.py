"""Promise: a payload we cannot read is kept for an admin to inspect, but bounded — at most
REJECTED_SAMPLE_BYTES of it, marked when cut, at most REJECTED_SAMPLES_PER_HOUR per channel, then only
a counter — and with no client address. Before, anyone who knew an SMSSync or Vonage webhook URL
(no secret needed) could store 64 KB per request, without limit."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from testigo.channels import rejections, services
from testigo.channels.models import InboundRejected

JSON = "application/json"


def test_promise_an_unauthenticated_60_kb_payload_is_kept_as_a_4_kb_marked_sample(client, make_channel):
    phone = make_channel("smssync", secret="s3cret")
    body = '{"from": "+504", "message": "' + "A" * 60_000  # not valid JSON, so verify cannot read a secret
    response = client.post(f"/ch/smssync/{phone.uuid}/?" + "q=" + "B" * 10_000, body, content_type=JSON,
                           REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 400
    rejected = InboundRejected.objects.get()
    assert len(rejected.body.encode()) <= services.REJECTED_SAMPLE_BYTES
    assert len(rejected.query.encode()) <= services.REJECTED_SAMPLE_BYTES
    assert rejected.body.startswith('{"from": "+504"') and rejected.body.endswith(rejections.TRUNCATED)
    assert "198.51.100.7" not in json.dumps([getattr(rejected, f.attname) for f in rejected._meta.concrete_fields],
                                            default=str)


def test_promise_vonage_rejections_beyond_the_hourly_sample_are_only_counted(client, make_channel):
    channel = make_channel("vonage", api_key="k", api_secret="s", from_number="Testigo", signature_secret="sig")
    for _ in range(services.REJECTED_SAMPLES_PER_HOUR + 5):
        response = client.post(f"/ch/vonage/{channel.uuid}/", b"{" * 100 + b"x" * 5000, content_type=JSON)
        assert response.status_code == 400
    assert InboundRejected.objects.filter(channel=channel).count() == services.REJECTED_SAMPLES_PER_HOUR
    channel.refresh_from_db()
    assert channel.rejected_not_kept == 5
    # An hour later the admin sees fresh samples again.
    InboundRejected.objects.update(received_at=timezone.now() - timedelta(hours=2))
    client.post(f"/ch/vonage/{channel.uuid}/", b"{", content_type=JSON)
    assert InboundRejected.objects.filter(channel=channel).count() == services.REJECTED_SAMPLES_PER_HOUR + 1


def test_secrets_in_a_cut_or_invalid_json_sample_are_still_masked(client, make_channel):
    phone = make_channel("smssync", secret="s3cret")
    body = '{"secret": "s3cret", "message": ' + '"x' * 3000
    client.post(f"/ch/smssync/{phone.uuid}/", body, content_type=JSON)
    rejected = InboundRejected.objects.get()
    assert "s3cret" not in rejected.body and '"secret": "***"' in rejected.body


def test_the_channel_list_shows_how_many_unreadable_requests_were_not_kept(client, admin_user, make_channel):
    channel = make_channel("smssync", secret="s3cret")
    type(channel).objects.filter(pk=channel.pk).update(rejected_not_kept=4242)
    client.force_login(admin_user)
    assert "4242" in client.get("/console/messages/channels/").content.decode()
