"""Console pages and the broadcast command: preview (count, segments, encoding, cost, ETA), send, cancel."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from testigo.alerts.models import Alert, Rule, Zone
from testigo.channels.models import OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_moderators_are_kept_out_of_alert_pages(client, moderator):
    client.force_login(moderator)
    for url in ("/console/alerts/", "/console/alerts/zones/", "/console/alerts/zones/shapes/",
                "/console/alerts/rules/", "/console/alerts/broadcast/"):
        assert client.get(url).status_code == 403


def test_broadcast_preview_shows_count_segments_encoding_cost_and_eta_then_sends(
        client, admin_user, zones, sms_channel, subscribe, settings, django_capture_on_commit_callbacks):
    settings.ALERT_COSTS = {"kannel": 0.02}
    sms_channel.rate_per_second = 2
    sms_channel.save()
    for n in range(3):
        subscribe(f"+5049999000{n}", zones=[zones["centro"]])
    client.force_login(admin_user)
    response = client.post("/console/alerts/broadcast/", {"message_es": "Corte de agua mañana en el centro",
                                                          "zones": [zones["centro"].pk]})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "3 recipients" in page and "GSM-7" in page and "0.06 USD" in page and "2 s at 2.0/s" in page
    alert = Alert.objects.get()
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/console/alerts/{alert.pk}/send/")
    assert OutboundMessage.objects.filter(status="queued").count() == 3
    client.post(f"/console/alerts/{alert.pk}/cancel/")
    assert OutboundMessage.objects.filter(status="failed", error__contains="cancelled").count() == 3


def test_broadcast_without_zones_keeps_the_message_typed(client, admin_user, zones):
    client.force_login(admin_user)
    response = client.post("/console/alerts/broadcast/", {"message_es": "Texto escrito"})
    assert response.status_code == 400 and "Texto escrito" in response.content.decode()
    assert not Alert.objects.exists()


def test_zone_upload_page_reports_bad_files_clearly(client, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin_user)
    response = client.post("/console/alerts/zones/", {"file": SimpleUploadedFile("z.geojson", b"{not json")})
    assert response.status_code == 400 and "not valid GeoJSON" in response.content.decode()


def test_zone_drawn_as_point_and_radius_from_the_console(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/console/alerts/zones/", {"name_es": "Parque", "lat": "14.1", "lon": "-87.2",
                                                      "radius_m": "300"})
    assert response.status_code == 302 and Zone.objects.get().radius_m == 300


def test_rule_form_saves_a_rule_and_refuses_nonsense(client, admin_user, category):
    client.force_login(admin_user)
    bad = client.post("/console/alerts/rules/", {"name": "R", "category": category.pk, "min_reports": "x",
                                                 "radius_m": "500", "hours": "6"})
    assert bad.status_code == 400 and "whole numbers" in bad.content.decode()
    ok = client.post("/console/alerts/rules/", {"name": "R", "category": category.pk, "min_reports": "4",
                                                "radius_m": "500", "hours": "6", "verified_only": "on"})
    assert ok.status_code == 302 and Rule.objects.get().min_reports == 4


def test_broadcast_command_previews_then_sends_with_yes(zones, sms_channel, subscribe, capsys,
                                                        django_capture_on_commit_callbacks):
    subscribe("+50499990001", zones=[zones["kennedy"]])
    subscribe("+50499990002", zones=[zones["centro"]])
    with django_capture_on_commit_callbacks(execute=False):
        call_command("broadcast", "--zone", "colonia kennedy", "--message", "Evite la zona", "--yes")
    out = capsys.readouterr().out
    assert "Recipients: 1" in out and "GSM-7" in out and "1 messages queued" in out
    assert OutboundMessage.objects.get().contact.address == "+50499990001"


def test_broadcast_command_with_a_misspelt_zone_suggests_names(zones):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="did you mean: .*Kennedy"):
        call_command("broadcast", "--zone", "Kenedy", "--message", "x", "--yes")
