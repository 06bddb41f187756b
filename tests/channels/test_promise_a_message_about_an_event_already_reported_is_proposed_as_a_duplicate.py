"""Promise: a report that arrives by a messaging channel is checked for duplicates like any other,
after the webhook has answered (in the worker), and is never merged by itself."""

from __future__ import annotations

import json

from testigo.reports.models import DuplicateCandidate, Report


def tg_update(update_id: int, sender: int, text: str) -> str:
    msg = {"message_id": update_id, "from": {"id": sender, "is_bot": False, "first_name": "Ana"},
           "chat": {"id": sender, "first_name": "Ana", "type": "private"}, "date": 1700000000, "text": text}
    return json.dumps({"update_id": update_id, "message": msg})


def test_a_second_telegram_message_about_the_same_shooting_is_proposed(client, make_channel, run_on_commit):
    bot = make_channel("telegram", bot_token="123:ABC", secret_token="s3cret_token-1")
    # Two people, no location: the words and the hours decide.
    for update_id, sender, text in ((2001, 777, "REPORTE balacera en la col kennedy cerca del mercado"),
                                    (2002, 778, "REPORTE Balacera en la Colonia Kennedy, cerca del mercado!")):
        with run_on_commit():
            response = client.post(f"/ch/telegram/{bot.uuid}/", tg_update(update_id, sender, text),
                                   content_type="application/json", HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="s3cret_token-1")
        assert response.status_code == 200
    first, second = Report.objects.order_by("id")
    pair = DuplicateCandidate.objects.get()
    assert (pair.report, pair.original) == (second, first)
    assert pair.reasons["text"] > 0.6 and "same_contact" not in pair.reasons
    assert Report.objects.filter(merged_into__isnull=False).count() == 0
