"""`make demo` shows the whole product, in the deployment's language: reports, alert zones and a
rule, an SMSSync channel a demo user can play from the console, a survey with answers, and the tip
line set up for the printed administrator with a sample conversation. Seeding twice adds nothing;
the tip line's recovery key is printed once, with the password."""

from __future__ import annotations

import io
import re

import nacl.pwhash
import pytest
from django.core.management import call_command

from testigo.alerts.models import Rule, Subscription, Zone
from testigo.channels.models import Channel, Contact, InboundMessage, OutboundMessage
from testigo.core import roles
from testigo.demo import sms, survey
from testigo.demo.seed import seed_all
from testigo.reports.models import Report
from testigo.surveys.models import Submission, Survey
from testigo.tipline import crypto, vault
from testigo.tipline import selectors as tip_selectors
from testigo.tipline.models import Tip, TipMessage

PASSWORD = "correct horse battery"
REPORTS = 400  # enough for the generator's English share (5 %, 40 % on the Bay Islands) to show
ENGLISH_WORDS = {"the", "in", "on", "at", "of", "and", "road", "street", "blocks", "robbery", "robbed",
                 "stolen", "missing", "shooting", "landslide", "fire", "flood", "police", "families",
                 "young", "man", "woman", "threats", "bribe", "water", "lights", "out", "without", "warrant", "gang",
                 "forced", "homes", "leave", "their", "armed", "phone", "snatched", "stop", "gunfire", "school", "near"}
# The printed form of crypto.new_recovery_key(): base32 in dash-separated groups of four.
RECOVERY_KEY = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{1,4}){6,}\b")


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch):
    # Production uses MODERATE (tests/tipline checks it); the demo's set-up is the same code.
    monkeypatch.setattr(crypto, "ARGON2_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(crypto, "ARGON2_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)


@pytest.fixture
def seeded(admin_user):
    return seed_all(reports=REPORTS, admin=admin_user, password=PASSWORD)


def _counts() -> dict[str, int]:
    models = [Report, Zone, Rule, Subscription, Channel, Contact, InboundMessage, OutboundMessage, Survey,
              Submission, Tip, TipMessage]
    return {m.__name__: m.objects.count() for m in models}


def test_the_demo_has_zones_a_rule_and_sms_subscriptions(seeded):
    names = set(Zone.objects.values_list("name_es", flat=True))
    assert {"Francisco Morazán", "Cortés", "Gracias a Dios", "Kennedy", "Palmira", "San Pedro Sula"} <= names
    assert Zone.objects.count() == 18 + 12 + 3  # departments, colonias, cities
    assert set(Zone.objects.values_list("kind", flat=True)) == {Zone.Kind.POLYGON, Zone.Kind.CIRCLE}
    assert Rule.objects.filter(is_active=True, category__slug="robo").exists()
    subscribed = Subscription.objects.get(contact__address="+50490000011", cancelled_at__isnull=True)
    assert list(subscribed.zones.values_list("name_es", flat=True)) == ["Kennedy"]
    assert subscribed.confirmed_at is not None and subscribed.channel.type == "smssync"


def test_the_demo_has_an_smssync_channel_with_a_conversation_and_replies(seeded, admin_user):
    channel = Channel.objects.get(type="smssync")
    assert channel.config["secret"] == sms.DEMO_SECRET and channel.is_active
    inbound = InboundMessage.objects.filter(channel=channel, contact__address="+50490000013").order_by("pk")
    assert inbound.count() == 2
    report = inbound[0].report
    assert report is not None and inbound[1].report == report  # the answer joined the conversation
    replies = OutboundMessage.objects.filter(report=report).order_by("pk")
    assert [r.created_by for r in replies] == [None, admin_user]  # automatic receipt, then the staff's
    assert report.reference in replies[0].text
    assert all(m.processed_at for m in InboundMessage.objects.filter(channel=channel))


def test_the_demo_has_a_survey_with_answers(seeded):
    demo_survey = Survey.objects.get(form_id=survey.FORM_ID)
    assert demo_survey.category.slug == survey.CATEGORY
    submissions = Submission.objects.filter(survey=demo_survey, report__isnull=False)
    assert submissions.count() == len(survey.ANSWERS) == 5
    answered = submissions.first().report.custom_values
    assert answered["negocio"] in {"pulperia", "taxi", "bus", "otro"} and answered["cuota"] > 0


def test_the_demo_tip_line_is_open_for_the_admin_with_a_sealed_conversation(seeded, admin_user):
    assert vault.has_access(admin_user)
    assert seeded.tipline is not None
    tip = Tip.objects.get()
    messages = list(TipMessage.objects.filter(tip=tip).order_by("pk"))
    assert [m.direction for m in messages] == ["in", "out", "in"]
    # Sealed like a real tip: the admin reads it through the vault; the database holds no clear text.
    private = vault.open_with_recovery_key(recovery_key=seeded.tipline.recovery_key)
    opened = tip_selectors.conversation_for_staff(admin_user, org_private=private, tip=tip)
    assert "alcaldía" in opened[0].body and "facturas" in opened[1].body
    assert all("alcaldía".encode() not in bytes(m.body) for m in messages)


def test_the_spanish_inbox_has_no_english_titles(seeded):
    titles = list(Report.objects.values_list("title", flat=True))
    assert len(titles) >= REPORTS
    english = [t for t in titles if ENGLISH_WORDS & set(re.findall(r"[a-z]+", t.lower()))]
    assert english == []
    assert not Report.objects.filter(language="en").exists()


def test_seeding_twice_adds_nothing(seeded, admin_user):
    before = _counts()
    again = seed_all(reports=REPORTS, admin=admin_user, password=PASSWORD)
    assert _counts() == before
    assert again.tipline is None and again.reports == 0


def test_the_demo_command_prints_the_recovery_key_once(db):
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", no_serve=True, dev=True, reports=50, port=8123, stdout=first)
    keys = RECOVERY_KEY.findall(first.getvalue())
    assert len(keys) == 1
    vault.open_with_recovery_key(recovery_key=keys[0])  # it is the key that opens this tip line
    assert "http://127.0.0.1:8123/console/messages/channels/" in first.getvalue()  # where to look first
    call_command("demo", no_serve=True, dev=True, reports=50, port=8123, stdout=second)
    assert RECOVERY_KEY.findall(second.getvalue()) == []
    assert Tip.objects.count() == 1


@pytest.fixture
def demo_channel(db):
    from testigo.demo import zones

    zones.seed_zones()
    return sms.seed_channel()


def test_the_demo_departments_are_where_the_towns_are(db):
    """Real boundaries, placed right: a town's report falls in its own department's zone."""
    from testigo.alerts.geometry import zone_index
    from testigo.demo import zones

    zones.seed_zones()
    index = zone_index()
    for town, department, lat, lon in [("Tegucigalpa", "Francisco Morazán", 14.0818, -87.2068),
                                       ("San Pedro Sula", "Cortés", 15.5050, -88.0250),
                                       ("Juticalpa", "Olancho", 14.6667, -86.2194),
                                       ("Choluteca", "Choluteca", 13.3007, -87.1908),
                                       ("Santa Rosa de Copán", "Copán", 14.7667, -88.7833),
                                       ("Roatán", "Islas de la Bahía", 16.3167, -86.5400)]:
        found = set(Zone.objects.filter(pk__in=index.containing(lat, lon)).values_list("name_es", flat=True))
        assert department in found, town


def test_alerta_sent_by_a_phone_to_the_demo_smssync_channel_subscribes(client, demo_channel):
    """End to end, as an Android phone running SMSSync with the demo secret would post it."""
    base = f"/ch/smssync/{demo_channel.uuid}/"
    response = client.post(base, {"from": "+50490000077", "message": "ALERTA Kennedy", "secret": sms.DEMO_SECRET,
                                  "message_id": "demo-1", "sent_timestamp": "1765000000000"})
    assert response.status_code == 200
    subscription = Subscription.objects.get(contact__address="+50490000077")
    assert list(subscription.zones.values_list("name_es", flat=True)) == ["Kennedy"]
    # The phone collects the confirmation on its next poll.
    polled = client.get(f"{base}?task=send&secret={sms.DEMO_SECRET}").json()["payload"]["messages"]
    assert [m["to"] for m in polled] == ["+50490000077"] and "Kennedy" in polled[0]["message"]


def test_a_demo_admin_plays_the_phone_from_the_console(client, admin_user, demo_channel):
    client.force_login(admin_user)
    url = f"/console/messages/channels/{demo_channel.pk}/simulate/"
    response = client.post(url, {"phone": "+504 9000-0088", "text": "ALERTA Palmira"}, follow=True)
    assert response.status_code == 200
    subscription = Subscription.objects.get(contact__address="+50490000088")
    assert list(subscription.zones.values_list("name_es", flat=True)) == ["Palmira"]
    reply = OutboundMessage.objects.get(contact__address="+50490000088")
    page = response.content.decode()
    assert "ALERTA Palmira" in page and reply.text.split(".")[0] in page  # the phone's thread shows both
    assert InboundMessage.objects.get(contact__address="+50490000088").raw == {"simulated": True}
    client.post(url, {"phone": "+504 9000-0088", "text": "Se fue la luz en toda la colonia Palmira"})
    assert Report.objects.filter(reporter_contact="+50490000088", source="smssync").count() == 1


def test_only_phone_channels_can_be_simulated(client, admin_user, db):
    from testigo.channels import services as channel_services

    telegram = channel_services.add_channel(actor=roles.SYSTEM, type_code="telegram", name="Telegram",
                                            config={"bot_token": "123:abc"})
    client.force_login(admin_user)
    assert client.get(f"/console/messages/channels/{telegram.pk}/simulate/").status_code == 404
    assert "simulate/" not in client.get("/console/messages/channels/").content.decode()


def test_only_admins_play_the_phone_and_an_empty_message_is_refused(client, admin_user, moderator, demo_channel):
    url = f"/console/messages/channels/{demo_channel.pk}/simulate/"
    client.force_login(moderator)
    assert client.post(url, {"phone": "+50490000089", "text": "ALERTA Kennedy"}).status_code == 403
    client.force_login(admin_user)
    refused = client.post(url, {"phone": "+50490000089", "text": "  "})
    assert refused.status_code == 400 and not InboundMessage.objects.exists()
    assert Subscription.objects.count() == 0


def test_an_english_deployment_gets_an_english_demo(english, admin_user):
    seed_all(reports=40, admin=admin_user, password=PASSWORD)
    assert set(Report.objects.exclude(source="odk").values_list("language", flat=True)) == {"en"}
    assert InboundMessage.objects.filter(text="ALERT Kennedy").exists()
    assert Subscription.objects.filter(contact__address="+50490000011", language="en").exists()
    assert Rule.objects.get().name == "Three robberies within 1 km in 24 hours"


def test_the_password_is_shown_even_when_seeding_fails(db, monkeypatch):
    from django.contrib.auth import get_user_model

    from testigo.demo import seed

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(seed, "seed_all", broken)
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        call_command("demo", no_serve=True, dev=True, reports=10, stdout=out)
    admin = get_user_model().objects.get(username="admin")
    candidates = [w for w in out.getvalue().split() if len(w) == 16]  # secrets.token_urlsafe(12)
    assert any(admin.check_password(w) for w in candidates)


@pytest.mark.twofactor_defaults
def test_the_printed_admin_logs_into_the_demo_without_an_authenticator_app(db, client):
    """Two-factor login is required for administrators by default; the demo's first run makes it
    optional (and says so), so trying the demo needs only the printed password."""
    from testigo.core import twofactor

    out = io.StringIO()
    call_command("demo", no_serve=True, dev=True, reports=10, port=8123, stdout=out)
    password = re.search(r"(?:password|contraseña): (\S+)", out.getvalue()).group(1)
    assert "two-factor login: optional in this demo" in out.getvalue() or "en dos pasos: opcional en esta demo" in out.getvalue()
    assert not any(twofactor.requirements()[scope] for scope in twofactor.DEFAULT_REQUIRED)
    response = client.post("/console/login/", {"username": "admin", "password": password})
    assert response.status_code == 302 and response.url == "/console/", response.url
    assert client.get("/console/").status_code == 200
