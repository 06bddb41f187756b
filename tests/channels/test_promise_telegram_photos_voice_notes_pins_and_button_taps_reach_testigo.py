"""What people really send a Telegram bot reaches Testigo as it was meant: a photo with its caption,
a voice note, a pin or a venue, a tap on a button, /start and commands typed in a group. Payloads
are real ones (tests/channels/payloads/telegram/SOURCES.md); the files come through getFile from a
local stand-in of the Bot API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import RequestFactory

from testigo.channels.inbound import extras_of
from testigo.channels.models import InboundMessage
from testigo.channels.types import base
from testigo.channels.types.telegram import TYPE
from tests.channels.conftest import mangled

# Assertions read the English messages (the site speaks Spanish by default).
pytestmark = pytest.mark.usefixtures("english")

PAYLOADS = Path(__file__).parent / "payloads" / "telegram"
SECRET = "s3cret_token-1"
TOKEN = "123456:AAH-bot_token"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text())


@pytest.fixture
def bot(make_channel):
    return make_channel("telegram", bot_token=TOKEN, secret_token=SECRET)


def parse(bot, update: dict) -> list[base.Inbound]:
    request = RequestFactory().post("/", json.dumps(update), content_type="application/json")
    return TYPE.parse_inbound(bot, request)


def one(bot, update: dict) -> base.Inbound:
    (inbound,) = parse(bot, update)
    return inbound


def test_a_photo_is_its_largest_size_with_the_caption_as_text(bot):
    update = payload("courier_photo.json")
    update["message"]["photo"].reverse()  # the order is not promised
    inbound = one(bot, update)
    assert (inbound.text, inbound.address, inbound.provider_id) == ("Photo Caption", "3527065", "900946525")
    assert inbound.attachments == [base.Attachment(
        "image", "AgADAQADtKcxG4LRUUQSQVUjfJIiiF8G6C8ABA9NJzFdXskaincBAAEC", size=104737,
        extra={"width": 720, "height": 1280})]


def test_a_photo_size_above_the_media_cap_is_passed_over(bot, settings):
    settings.CHANNEL_MEDIA_MAX_BYTES = 60_000
    inbound = one(bot, payload("courier_photo.json"))
    assert inbound.attachments[0].ref == "AgADAQADtKcxG4LRUUQSQVUjfJIiiF8G6C8ABF8Fy2sccmWmjHcBAAEC"
    assert inbound.attachments[0].size == 57833


@pytest.mark.parametrize("name, kind, ref, content_type, filename, size", [
    ("courier_voice.json", "voice", "AwADAQADCQADgtFRRGn8KrC-0D_MAg", "audio/ogg", "", 4288),
    ("courier_video.json", "video", "BAADAQADBgADgtFRRPFTAAHxLVw76wI", "video/mp4", "", 257507),
    ("courier_document.json", "document", "BQADAQADCgADgtFRRPrv9GQ95f8eAg", "application/vnd.ms-excel",
     "TabFig2015prel.xls", 4540928),
    ("spec_audio.json", "audio", "CQACAgEAAxkBAAIBaWdAudio", "audio/mpeg", "entrevista.mp3", 1523488),
    ("spec_video_note.json", "video", "DQACAgEAAxkBAAIBaGdVNote", "", "", 1204551),
    # An animation also sets `document`: it is a video, once.
    ("spec_animation.json", "video", "CgACAgEAAxkBAAIBZ2dAnim", "video/mp4", "calle.mp4", 318604),
])
def test_each_file_kind_is_one_attachment_described_as_telegram_sent_it(bot, name, kind, ref, content_type,
                                                                        filename, size):
    (attachment,) = one(bot, payload(name)).attachments
    assert (attachment.kind, attachment.ref, attachment.content_type, attachment.filename, attachment.size) == (
        kind, ref, content_type, filename, size)


def test_an_animation_is_one_video_with_its_caption_as_the_text(bot):
    inbound = one(bot, payload("spec_animation.json"))
    assert inbound.text == "así quedó la calle"
    assert [a.kind for a in inbound.attachments] == ["video"]


def test_a_sticker_is_no_evidence_and_no_text(bot):
    inbound = one(bot, payload("courier_sticker.json"))
    assert (inbound.text, inbound.attachments, inbound.location) == ("", [], None)


def test_a_pin_a_venue_and_a_live_location_become_locations(bot):
    assert one(bot, payload("courier_location.json")).location == base.Location(-2.890287, -79.004333)
    assert one(bot, payload("courier_venue.json")).location == base.Location(
        -2.898944, -79.006835, name="Cuenca", address="Provincia del Azuay")
    live = one(bot, payload("spec_live_location.json"))
    assert live.location == base.Location(14.072275, -87.192136, precision_m=65)
    assert live.text == "" and live.attachments == []
    assert parse(bot, payload("spec_live_location_edit.json")) == []  # later positions: ignored


def test_a_shared_contact_is_readable_text(bot):
    assert one(bot, payload("courier_contact.json")).text == "Adolf Taxi 0788531373"


def test_a_button_tap_is_a_choice_with_the_label_the_person_saw(bot):
    inbound = one(bot, payload("litegram_callback_query.json"))
    assert inbound.choice == base.Choice(id="K0ktLokvzsgvj6+oKquqACIA", text="4444?", kind="callback")
    assert (inbound.text, inbound.provider_id, inbound.address) == ("4444?", "163399206", "436432850")
    assert (inbound.name, inbound.language) == ("чипсы лейс", "ru")


def test_a_button_tap_whose_keyboard_is_gone_shows_its_data(bot):
    update = payload("litegram_callback_query.json")
    del update["callback_query"]["message"]["reply_markup"]
    update["callback_query"]["message"]["chat"] = {"id": -100200, "type": "group"}
    inbound = one(bot, update)
    assert inbound.choice.text == inbound.text == "K0ktLokvzsgvj6+oKquqACIA"
    assert inbound.address == "436432850"  # the person who tapped, not the group


def test_start_and_a_deep_link_open_a_conversation_without_a_report(bot):
    start = one(bot, payload("courier_start.json"))
    assert start.event == base.EVENT_START
    deep = one(bot, payload("spec_start_deep_link.json"))
    assert deep.event == base.EVENT_START and deep.raw["start_payload"] == "campana_agua-2026"


def test_a_keyword_command_addressed_to_the_bot_in_a_group_is_that_keyword(bot):
    inbound = one(bot, payload("spec_group_keyword_command.json"))
    assert (inbound.text, inbound.event) == ("REPORTE 🔥 incendio en la escuela", "")
    assert inbound.address == "-1001865432109"


def test_an_unknown_command_is_an_event_without_the_bot_name(bot):
    inbound = one(bot, payload("spec_group_unknown_command.json"))
    assert (inbound.text, inbound.event) == ("/precios", base.EVENT_COMMAND)
    assert one(bot, payload("litegram_command.json")).event == base.EVENT_COMMAND


def test_only_what_telegram_marks_as_a_command_is_one(bot):
    update = payload("spec_group_keyword_command.json")
    assert one(bot, update).text == "REPORTE 🔥 incendio en la escuela"
    update["message"]["entities"] = [{"offset": 20, "length": 2, "type": "custom_emoji"}]
    inbound = one(bot, update)
    assert (inbound.text, inbound.event) == ("/reporte@TestigoBot 🔥 incendio en la escuela", "")


def test_the_webhook_stores_the_attachment_location_and_choice(client, bot):
    for name in ("courier_photo.json", "courier_venue.json", "litegram_callback_query.json"):
        response = client.post(f"/ch/telegram/{bot.uuid}/", (PAYLOADS / name).read_bytes(),
                               content_type="application/json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET)
        assert response.status_code == 200
    photo, venue, tap = (extras_of(m) for m in InboundMessage.objects.order_by("pk"))
    assert photo["attachments"][0]["kind"] == "image" and photo["attachments"][0]["size"] == 104737
    assert venue["location"]["name"] == "Cuenca"
    assert tap["choice"] == {"id": "K0ktLokvzsgvj6+oKquqACIA", "text": "4444?", "kind": "callback", "data": {}}


@pytest.fixture
def telegram_api(settings, provider_server):
    settings.CHANNEL_API_BASES = {"telegram": provider_server.url}
    return provider_server


def attachment(**fields) -> dict:
    return {"kind": "voice", "ref": "AwADAQADCQADgtFRRGn8KrC-0D_MAg", "content_type": "audio/ogg",
            "filename": "", "size": 4288, "extra": {}, **fields}


def test_fetch_media_gets_the_file_through_get_file(bot, telegram_api):
    telegram_api.route(f"/bot{TOKEN}/getFile", {"ok": True, "result": {
        "file_id": "AwADAQADCQADgtFRRGn8KrC-0D_MAg", "file_unique_id": "x", "file_size": 7,
        "file_path": "voice/file_12.oga"}})
    telegram_api.route(f"/file/bot{TOKEN}/voice/file_12.oga", b"OggS\x00\x02x",
                       headers={"Content-Type": "application/octet-stream"})
    fetched = TYPE.fetch_media(bot, None, attachment())
    assert (fetched.data, fetched.content_type, fetched.filename) == (b"OggS\x00\x02x", "audio/ogg", "file_12.oga")
    assert telegram_api.requests[0]["path"] == f"/bot{TOKEN}/getFile?file_id=AwADAQADCQADgtFRRGn8KrC-0D_MAg"


def test_fetch_media_says_clearly_when_the_file_is_too_big_for_a_bot(bot, telegram_api):
    telegram_api.route(f"/bot{TOKEN}/getFile", {"ok": False, "error_code": 400,
                                                "description": "Bad Request: file is too big"}, status=400)
    with pytest.raises(base.PermanentError, match="20 MB") as caught:
        TYPE.fetch_media(bot, None, attachment(size=None))
    assert TOKEN not in str(caught.value)
    assert len(telegram_api.requests) == 1


def test_a_file_known_to_be_too_big_is_not_even_asked_for(bot, settings, telegram_api):
    settings.CHANNEL_API_BASES = {}  # Telegram's own servers: 20 MB for bots
    with pytest.raises(base.PermanentError, match="20 MB"):
        TYPE.fetch_media(bot, None, attachment(size=21_000_000))
    settings.CHANNEL_API_BASES = {"telegram": telegram_api.url}  # a self-hosted Bot API server: the media cap
    telegram_api.route(f"/bot{TOKEN}/getFile", {"ok": True, "result": {"file_path": "videos/big.mp4"}})
    telegram_api.route(f"/file/bot{TOKEN}/videos/big.mp4", b"\x00\x00\x00\x18ftypmp42")
    assert TYPE.fetch_media(bot, None, attachment(size=21_000_000)).data.startswith(b"\x00\x00\x00\x18ftyp")
    settings.CHANNEL_MEDIA_MAX_BYTES = 20_000_000
    with pytest.raises(base.PermanentError, match="larger than 20 MB"):
        TYPE.fetch_media(bot, None, attachment(size=21_000_000))
    assert len(telegram_api.requests) == 2


def test_fetch_media_retries_when_telegram_fails_and_gives_up_without_a_path(bot, telegram_api):
    telegram_api.route(f"/bot{TOKEN}/getFile", {"ok": False, "description": "Bad Gateway"}, status=502)
    with pytest.raises(base.TemporaryError):
        TYPE.fetch_media(bot, None, attachment())
    telegram_api.route(f"/bot{TOKEN}/getFile", {"ok": True, "result": {"file_id": "x", "file_unique_id": "y"}})
    with pytest.raises(base.PermanentError, match="no file path"):
        TYPE.fetch_media(bot, None, attachment())


def test_a_failed_download_never_shows_the_bot_token(bot, telegram_api):
    telegram_api.route(f"/bot{TOKEN}/getFile", {"ok": True, "result": {"file_path": "voice/gone.oga"}})
    with pytest.raises(base.PermanentError, match="404") as caught:
        TYPE.fetch_media(bot, None, attachment())
    assert telegram_api.requests[-1]["path"] == f"/file/bot{TOKEN}/voice/gone.oga"
    assert TOKEN not in str(caught.value) and caught.value.__cause__ is None


def test_a_processed_button_tap_is_answered_so_the_spinner_stops(bot, telegram_api, client):
    telegram_api.route(f"/bot{TOKEN}/answerCallbackQuery", {"ok": True, "result": True})
    client.post(f"/ch/telegram/{bot.uuid}/", (PAYLOADS / "litegram_callback_query.json").read_bytes(),
                content_type="application/json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET)
    TYPE.on_processed(bot, InboundMessage.objects.get())
    calls = telegram_api.requests  # the worker may already have answered it once
    assert calls and all(call["path"] == f"/bot{TOKEN}/answerCallbackQuery" for call in calls)
    assert all(json.loads(call["body"]) == {"callback_query_id": "1874464818486990916"} for call in calls)


@pytest.mark.parametrize("name, understood", [("courier_photo.json", "attachments"), ("courier_venue.json", "location"),
                                              ("litegram_callback_query.json", "choice"),
                                              ("spec_start_deep_link.json", "event")])
def test_a_real_update_is_understood_and_no_mangled_variant_answers_500(client, bot, name, understood):
    def post(update):
        return client.post(f"/ch/telegram/{bot.uuid}/", json.dumps(update), content_type="application/json",
                           HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET).status_code

    assert post(payload(name)) == 200
    assert understood in extras_of(InboundMessage.objects.get())
    assert {post(wrong) for wrong in mangled(payload(name), "/start")} <= {200, 400}
