"""Staff side: turning a tip into a report carries no identity; the set-up and CLI work."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from testigo.reports.models import Report
from testigo.tipline import services, vault
from testigo.tipline.models import StaffKeyWrap, Tip, TipFile


def test_tip_becomes_a_redacted_report_without_identity(client, tip_admin, tl):
    access, codename = services.submit_tip(body="Juan Pérez saw the bribe at the market",
                                           files=[("juan-perez-selfie.jpg", tl.gps_jpeg())], language="es")
    tip = Tip.objects.get()
    photo = TipFile.objects.get()
    tl.staff_client(client, tip_admin)
    response = client.post(f"/console/tips/{tip.pk}/report/", {
        "title": "Bribe at the market", "description": "A witness saw a bribe at the market.",
        "occurred_date": "2026-03-14", "language": "en", "photos": [photo.pk]})
    assert response.status_code == 302, response.content[:400]
    report = Report.objects.get()
    assert report.source == "tipline" and report.title == "Bribe at the market"
    assert report.reporter_name == "" and report.reporter_contact == ""
    flat = str(Report.objects.filter(pk=report.pk).values().get())
    for leak in ("Juan", "juan-perez", codename, tip.label):
        assert leak not in flat
    media = report.media.get()
    assert "juan" not in media.file.name and not tl.has_gps(media.file.read())


def test_reply_through_the_console_reaches_the_source(client, tip_admin, tl):
    access, _codename = services.submit_tip(body="hello", files=[], language="en")
    tl.staff_client(client, tip_admin)
    tip = Tip.objects.get()
    assert client.post(f"/console/tips/{tip.pk}/reply/", {"body": "We read you"}).status_code == 302
    from testigo.tipline import selectors

    assert [m.body for m in selectors.conversation_for_source(access)] == ["hello", "We read you"]


def test_setup_page_shows_recovery_key_once(client, admin_user, tl):
    client.force_login(admin_user)
    assert client.get("/console/tips/")["Location"] == "/console/tips/setup/"
    response = client.post("/console/tips/setup/", {"password": tl.PASSWORD})
    assert b'id="recovery-key"' in response.content and StaffKeyWrap.objects.filter(user=admin_user).exists()
    assert client.get("/console/tips/setup/").status_code == 302  # never again
    assert client.get("/console/tips/").status_code == 200  # unlocked by the set-up itself


def test_management_command_init_status_recover(admin_user, capsys, tl):
    call_command("tipline", "init", "--username", admin_user.username, "--password", tl.PASSWORD)
    out = capsys.readouterr().out
    recovery = [line.strip() for line in out.splitlines() if line.strip().count("-") >= 10][0]
    with pytest.raises(CommandError):
        call_command("tipline", "init", "--username", admin_user.username, "--password", tl.PASSWORD)
    call_command("tipline", "status")
    assert "Access: admin-user" in capsys.readouterr().out
    StaffKeyWrap.objects.all().delete()
    call_command("tipline", "recover", "--username", admin_user.username, "--password", tl.PASSWORD,
                 "--recovery-key", recovery)
    assert vault.has_access(admin_user)


def test_only_admins_set_up_the_tip_line(moderator, tl):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        vault.initialise(user=moderator, password=tl.PASSWORD)
