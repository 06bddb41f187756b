"""A burst of photo messages costs the webhook what a burst of texts does: the photos are fetched
and cleaned by the worker, never in the webhook's request.

The production server (`testigo serve`'s gunicorn command, SQLite) receives Telegram updates
with the channel's secret-token header: texts, photos with a caption, photos again, texts again (each a
`photo` array of three sizes, as Telegram sends them), with the same concurrency as
bench_inbound.py. Both runs report p99 and p50 latency; the target is that photos' p99 stays
within 20 % (or 5 ms) of the texts'. Each acknowledged photo message must have its attachment
recorded for the worker (checked in the database afterwards: `photos_attachment_kept`).

Prints JSON lines {"name","value","unit","target","n"}. TESTIGO_BENCH_QUICK=1: a few seconds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402
import bench_inbound  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUICK = _seed.QUICK
TOKEN = "bench-secret-token"


def prepare() -> tuple[dict, str, Path]:
    env, _path, db = bench_inbound.prepare()
    script = ("import django; django.setup()\n"
              "from django.core.management import call_command\n"
              "call_command('channel', 'add', 'telegram', '--name', 'bench-telegram', "
              f"'--set', 'bot_token=123:bench', '--set', 'secret_token={TOKEN}')\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT, capture_output=True,
                         text=True).stdout
    url = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Webhook URL"))
    return env, "/" + url.split("/", 3)[3], db


class TelegramLoad(bench_inbound.Load):
    """bench_inbound's load generator, sending Telegram updates (text or photo) as JSON."""

    photos = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.head = (f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"X-Telegram-Bot-Api-Secret-Token: {TOKEN}\r\nContent-Length: ").encode()

    def _request(self, conn) -> None:
        self.count += 1
        update_id = int(time.time() * 1000) * 1000 + self.count + (500_000 if self.photos else 0)
        conn.message_id = str(update_id)
        message = {"message_id": self.count, "date": int(time.time()),
                   "from": {"id": 7000000 + self.count % 5000, "is_bot": False, "first_name": "Ana"},
                   "chat": {"id": 7000000 + self.count % 5000, "type": "private"}}
        if self.photos:
            message["caption"] = f"calle inundada {self.tag}{self.count}"
            message["photo"] = [{"file_id": f"AgAD{self.count}{size}", "file_unique_id": f"AQAD{self.count}{size}",
                                 "file_size": 1000 * size * size, "width": 90 * size, "height": 160 * size}
                                for size in (1, 4, 8)]
        else:
            message["text"] = f"calle inundada {self.tag}{self.count}"
        body = json.dumps({"update_id": update_id, "message": message}).encode()
        conn.out = self.head + str(len(body)).encode() + b"\r\n\r\n" + body
        conn.inbuf = b""
        conn.t0 = time.perf_counter()

    @staticmethod
    def _acknowledged(head: bytes, body: bytes) -> bool:
        return head.startswith(b"http/1.1 200")  # Telegram's webhook answer has no body to check


def combined(first: TelegramLoad, second: TelegramLoad) -> TelegramLoad:
    first.latencies += second.latencies
    first.acknowledged += second.acknowledged
    first.errors += second.errors
    first.elapsed += second.elapsed
    return first


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)] * 1000


def main() -> None:
    env, path, db = prepare()
    port = bench_inbound.free_port()
    connections = int(os.environ.get("BENCH_CLIENTS", "16"))
    seconds = 3 if QUICK else 20
    master, _command = bench_inbound.start_server(env, port, None)
    try:
        TelegramLoad(port, path, connections, 1.0, "w").run()  # warm up
        # Texts, photos, photos, texts: each kind runs once early and once late, so neither gains
        # from a warmer server or loses to a larger database.
        runs = []
        for tag, photos in (("t1", False), ("p1", True), ("p2", True), ("t2", False)):
            load = TelegramLoad(port, path, connections, seconds / 2, tag)
            load.photos = photos
            load.run()
            runs.append(load)
        texts, photos = combined(runs[0], runs[3]), combined(runs[1], runs[2])
    finally:
        os.killpg(master.pid, signal.SIGTERM)
        master.wait(timeout=20)
    text_p99, photo_p99 = percentile(texts.latencies, 0.99), percentile(photos.latencies, 0.99)
    _seed.emit("inbound_text_webhook_p99", round(text_p99, 2), "ms", None, len(texts.latencies),
               p50_ms=round(percentile(texts.latencies, 0.5), 2), errors=texts.errors,
               per_second=round(len(texts.latencies) / texts.elapsed, 1))
    _seed.emit("inbound_photo_webhook_p99", round(photo_p99, 2), "ms", f"<= {round(max(text_p99 * 1.2, text_p99 + 5), 2)}",
               len(photos.latencies), p50_ms=round(percentile(photos.latencies, 0.5), 2), errors=photos.errors,
               per_second=round(len(photos.latencies) / photos.elapsed, 1))
    acknowledged = set(photos.acknowledged)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select provider_id, raw from channels_inboundmessage").fetchall()
    kept = sum(1 for provider_id, raw in rows
               if provider_id in acknowledged and json.loads(raw).get("_testigo", {}).get("attachments"))
    _seed.emit("photos_attachment_kept", kept, "messages", f"== {len(acknowledged)}", len(acknowledged))


if __name__ == "__main__":
    main()
