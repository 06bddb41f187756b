"""What people send a WhatsApp Cloud API number reaches Testigo as it was meant: photos, voice
notes and documents (fetched later from Meta), places, taps on buttons, lists and flows, from a
phone number or from a user who hides it behind a business-scoped user id (BSUID). One unreadable
message never loses the others. Payloads are real ones (payloads/whatsapp/SOURCES.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.test import RequestFactory

from testigo.channels import outbox
from testigo.channels.inbound import extras_of
from testigo.channels.models import Contact, InboundMessage, InboundRejected
from testigo.channels.types import base
from testigo.channels.types.whatsapp import TYPE
from tests.channels.conftest import mangled

# Assertions read the English messages (the site speaks Spanish by default).
pytestmark = pytest.mark.usefixtures("english")

PAYLOADS = Path(__file__).parent / "payloads" / "whatsapp"
APP_SECRET = "meta-app-secret"
ACCESS_TOKEN = "EAAG-access-token"


def courier(name: str) -> dict:
    return json.loads((PAYLOADS / "courier" / f"{name}.json").read_text())


def pywa(name: str, case: str) -> dict:
    return json.loads((PAYLOADS / "pywa" / f"{name}.json").read_text())[case]


@pytest.fixture
def wa(make_channel):
    return make_channel("whatsapp", app_secret=APP_SECRET, verify_token="vt-123", access_token=ACCESS_TOKEN,
                        phone_number_id="1098765")


def parse(wa, update: dict) -> list[base.Inbound]:
    request = RequestFactory().post("/", json.dumps(update), content_type="application/json")
    messages, _statuses = TYPE.parse(wa, request, "")
    return messages


def one(wa, update: dict) -> base.Inbound:
    (inbound,) = parse(wa, update)
    return inbound


def test_a_photo_is_an_attachment_by_media_id_with_its_caption(wa):
    inbound = one(wa, courier("image"))
    assert (inbound.text, inbound.scheme, inbound.address, inbound.name) == (
        "Check out my new phone!", "tel", "+5678", "Kerry Fisher")
    assert inbound.attachments == [base.Attachment(
        "image", "id_image", content_type="image/jpeg",
        extra={"sha256": "29ed500fa64eb55fc19dc4124acb300e5dcc54a0f822a301ae99944db"})]


@pytest.mark.parametrize("update, kind, ref, content_type, filename", [
    (pywa("message", "voice"), "voice", "1234567890987654321", "audio/ogg; codecs=opus", ""),
    (pywa("message", "audio"), "audio", "1234567890987654321", "audio/ogg; codecs=opus", ""),
    (courier("voice"), "voice", "id_voice", "audio/ogg; codecs=opus", ""),  # the old "type": "voice"
    (courier("video"), "video", "id_video", "image/jpeg", ""),
    (courier("document"), "document", "id_document", "application/pdf", ""),
    (pywa("message", "document"), "document", None, None, None),
    (pywa("message", "media_with_url"), "image", "65463453", "image/jpeg", ""),
])
def test_each_media_kind_is_one_attachment(wa, update, kind, ref, content_type, filename):
    (attachment,) = one(wa, update).attachments
    assert attachment.kind == kind
    media = update["entry"][0]["changes"][0]["value"]["messages"][0][update["entry"][0]["changes"][0]["value"]
                                                                       ["messages"][0]["type"]]
    assert attachment.ref == (ref or media["id"])
    assert attachment.content_type == (content_type or media["mime_type"])
    assert attachment.filename == (filename if filename is not None else media.get("filename", ""))


def test_a_voice_note_is_a_voice_and_a_sticker_is_nothing(wa):
    assert one(wa, pywa("message", "voice")).attachments[0].kind == "voice"
    sticker = one(wa, pywa("message", "static_sticker"))
    assert (sticker.text, sticker.attachments) == ("", [])


def test_a_place_and_a_current_location_become_locations(wa):
    assert one(wa, pywa("message", "chosen_location")).location == base.Location(
        37.4611978, -122.2164385, name="Facebook HQ", address="1 Hacker Way, Menlo Park, CA 94025")
    assert one(wa, pywa("message", "current_location")).location == base.Location(12.25089, 43.90539)
    assert one(wa, courier("location")).location.name == "Main Street Beach"


def test_reply_buttons_list_rows_and_template_buttons_are_choices(wa):
    button = one(wa, pywa("callback_button", "button"))
    assert (button.text, button.choice) == ("title", base.Choice("callback_data", "title", kind="button"))
    row = one(wa, pywa("callback_selection", "description"))
    assert row.choice == base.Choice("callback_data", "title", kind="list", data={"description": "description"})
    assert one(wa, courier("list_reply")).choice == base.Choice("id_list_reply", "Yes", kind="list")
    template = one(wa, courier("button"))
    assert (template.text, template.choice) == ("No", base.Choice("No-Button-Payload", "No", kind="template_button"))


def test_a_completed_flow_carries_its_answers(wa):
    flow = one(wa, pywa("flow_completion", "completion"))
    assert (flow.text, flow.choice.kind, flow.choice.id) == ("Sent", "flow", "AQAAAAACS5FpgQ_cAAAAAD0QI3s.")
    assert flow.choice.data["delivery_rating"] == "4" and flow.choice.data["comment_text"] == "Comment Text"
    assert one(wa, courier("nfm_reply")).choice.data == {"flow_token": "fl0w+t0k3n", "first_name": "Bob",
                                                         "age": "32"}
    not_an_object = one(wa, courier("nfm_reply_non_object"))
    assert not_an_object.choice.kind == "flow" and not_an_object.choice.data == {}


@pytest.mark.parametrize("update", [
    pywa("message", "reaction"), pywa("message", "unreaction_empty"), pywa("message", "order"),
    pywa("message", "unsupported_with_type"), pywa("system", "phone_number_change"),
    pywa("system", "identity_change"), courier("group_message"),
])
def test_reactions_orders_system_notices_and_group_messages_are_not_content(wa, update):
    assert parse(wa, update) == []


def test_a_shared_contact_card_is_readable_text(wa):
    assert one(wa, pywa("message", "contacts")).text.startswith("Chandler Bing +1 555-555-5555; Monica")


def test_a_user_who_hides_their_number_is_reached_by_bsuid(wa):
    inbound = one(wa, courier("hello_from_bsuid"))
    assert (inbound.scheme, inbound.address, inbound.name, inbound.text) == (
        "whatsapp", "US.1234", "Kerry Fisher", "Hello World")
    assert one(wa, courier("hello_bsuid_in_from")).address == "US.1234"
    # The phone wins when both are there; a malformed user id does not matter then.
    assert (one(wa, courier("hello_user_id")).scheme, one(wa, courier("hello_invalid_user_id")).address) == (
        "tel", "+5678")


def test_a_parent_bsuid_is_never_an_address(wa):
    update = courier("hello_from_bsuid")
    message = update["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from_user_id"] = message["from_parent_user_id"]
    assert parse(wa, update) == []
    assert "BSUID" in InboundRejected.objects.get().reason


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def post(client, wa, update: dict):
    body = json.dumps(update).encode()
    return client.post(f"/ch/whatsapp/{wa.uuid}/", body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=sign(body))


@pytest.mark.parametrize("bad", ["invalid_from", "no_from"])
def test_one_message_without_a_valid_sender_is_kept_aside_and_the_others_stored(client, wa, bad):
    update = courier("image")
    good = update["entry"][0]["changes"][0]["value"]["messages"][0]
    wrong = courier(bad)["entry"][0]["changes"][0]["value"]["messages"][0]
    wrong["id"] = "wamid.bad"
    update["entry"][0]["changes"][0]["value"]["messages"] = [wrong, good]
    response = post(client, wa, update)
    assert response.status_code == 200
    assert list(InboundMessage.objects.values_list("provider_id", flat=True)) == ["external_id"]
    rejected = InboundRejected.objects.get()
    assert "wamid.bad" in rejected.reason and "sender" in rejected.reason


def test_the_webhook_stores_attachment_location_and_choice(client, wa):
    for update in (courier("image"), pywa("message", "chosen_location"), pywa("callback_button", "quick_reply")):
        assert post(client, wa, update).status_code == 200
    image, place, tap = (extras_of(m) for m in InboundMessage.objects.order_by("pk"))
    assert image["attachments"][0]["ref"] == "id_image"
    assert image["attachments"][0]["extra"]["sha256"].startswith("29ed500f")
    assert place["location"]["name"] == "Facebook HQ"
    assert tap["choice"] == {"id": "callback_data", "text": "title", "kind": "template_button", "data": {}}


def test_a_bsuid_contact_is_answered_through_recipient(client, wa, provider):
    assert post(client, wa, courier("hello_from_bsuid")).status_code == 200
    contact = Contact.objects.get()
    assert contact.urn == "whatsapp:US.1234"
    provider.calls.clear()
    provider.default.body = b'{"messages":[{"id":"wamid.REPLY"}]}'
    row = outbox.queue(channel=wa, contact=contact, text="¿Dónde ocurrió?")
    outbox.send_due()
    row.refresh_from_db()
    assert row.status == "sent"
    sent = json.loads(provider.calls[-1]["data"])
    assert (sent["recipient"], sent["recipient_type"]) == ("US.1234", "individual") and "to" not in sent


@pytest.fixture
def graph(settings, provider_server):
    settings.CHANNEL_API_BASES = {"whatsapp": provider_server.url}
    return provider_server


def image_attachment() -> dict:
    return {"kind": "image", "ref": "65463453", "content_type": "image/jpeg", "filename": "", "size": None,
            "extra": {}}


def test_fetch_media_asks_the_graph_api_then_downloads_with_the_token(wa, graph):
    graph.route("/v21.0/65463453", {"messaging_product": "whatsapp", "id": "65463453", "mime_type": "image/jpeg",
                                    "sha256": "abc", "file_size": "4",
                                    "url": f"{graph.url}/whatsapp_business/attachments/?mid=65463453"})
    graph.route("/whatsapp_business/attachments/", b"\xff\xd8\xff\xe0", headers={"Content-Type": "image/jpeg"})
    fetched = TYPE.fetch_media(wa, None, image_attachment())
    assert (fetched.data, fetched.content_type) == (b"\xff\xd8\xff\xe0", "image/jpeg")
    assert [r["headers"].get("Authorization") for r in graph.requests] == [f"Bearer {ACCESS_TOKEN}"] * 2


def test_fetch_media_of_an_expired_id_says_it_is_gone(wa, graph):
    graph.route("/v21.0/65463453", {"error": {"message": "Unsupported get request.", "code": 100}}, status=400)
    with pytest.raises(base.PermanentError, match="7 days"):
        TYPE.fetch_media(wa, None, image_attachment())


def test_fetch_media_retries_a_graph_outage(wa, graph):
    graph.route("/v21.0/65463453", {"error": {"message": "Service temporarily unavailable"}}, status=503)
    with pytest.raises(base.TemporaryError):
        TYPE.fetch_media(wa, None, image_attachment())


@pytest.mark.parametrize("url", ["https://evil.example.org/a.jpg", "http://lookaside.fbsbx.com/a",
                                 "https://fbsbx.com.evil.example/a"])
def test_fetch_media_never_sends_the_token_outside_meta(wa, graph, url):
    graph.route("/v21.0/65463453", {"id": "65463453", "mime_type": "image/jpeg", "url": url})
    with pytest.raises(base.PermanentError, match="outside Meta"):
        TYPE.fetch_media(wa, None, image_attachment())
    assert len(graph.requests) == 1


def test_an_impossible_place_is_kept_aside_without_losing_the_next_message(client, wa):
    update = pywa("message", "chosen_location")
    value = update["entry"][0]["changes"][0]["value"]
    text = courier("hello")["entry"][0]["changes"][0]["value"]["messages"][0]
    value["messages"][0]["location"]["latitude"] = 137.5
    value["messages"].append(text)
    assert post(client, wa, update).status_code == 200
    assert InboundMessage.objects.get().text == "Hello World"
    assert "wamid.xyzxyz" in InboundRejected.objects.get().reason


def test_a_timestamp_in_milliseconds_dates_the_message(wa):
    update = courier("image")
    update["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "1454119029000"
    assert one(wa, update).sent_at.year == 2016


@pytest.mark.parametrize("update", [courier("image"), pywa("message", "chosen_location"),
                                    pywa("flow_completion", "completion"), courier("hello_from_bsuid"),
                                    pywa("callback_selection", "description"), courier("button"),
                                    courier("hello_user_id")])
def test_a_mangled_message_never_answers_500_nor_loses_the_good_one_beside_it(client, wa, update):
    good = courier("hello")["entry"][0]["changes"][0]["value"]["messages"][0]
    value = update["entry"][0]["changes"][0]["value"]
    for n, wrong in enumerate(mangled(value["messages"][0], "US.ENT.1")):
        good = {**good, "id": f"wamid.good{n}"}
        batch = {**update, "entry": [{**update["entry"][0], "changes": [
            {**update["entry"][0]["changes"][0], "value": {**value, "messages": [wrong, good]}}]}]}
        assert post(client, wa, batch).status_code == 200
        assert InboundMessage.objects.filter(provider_id=good["id"]).exists()
        InboundMessage.objects.all().delete()
