"""How long a public upload can hold a web worker: the worst photo each public form accepts.

Before: a noisy 6300×6300 PNG just under 40 Mpx / 20 MB took ~61 s to re-encode inside the
request (timeout, SIGKILL, 500). Now the report form reads only the photo's header and holds it
encrypted for the worker; the tip line re-encodes in the request only within its budget
(testigo/reports/media.py). Django test Client in-process, SQLite in a temp data dir.

Prints JSON lines {"name","value","unit","target","n"}. TESTIGO_BENCH_QUICK=1: a few seconds
(smaller worst-case photos; the request figures do not depend on the photo's content).
"""

from __future__ import annotations

import io
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

REPEAT = 2 if _seed.QUICK else 5
TARGET_REQUEST_S = 1.0


def noisy(width: int, height: int):
    """Photographic noise over a gradient: the costliest content to decode and re-encode."""
    from PIL import Image

    noise = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    return Image.blend(noise, Image.linear_gradient("L").resize((width, height)).convert("RGB"), 0.7)


def encoded(image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def worst_public_photo() -> bytes:
    """The issue's photo: ~40 Mpx of PNG under the 20 MB limit (quick: 2.25 Mpx)."""
    from PIL import Image

    side = 1500 if _seed.QUICK else 6300
    smooth = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    return encoded(Image.blend(noisy(side, side), smooth, 0.97), "PNG")


def timed(call) -> tuple[float, float, object]:
    """(CPU seconds, wall seconds, result). CPU time is the figure: on a shared machine the wall
    time mostly measures the neighbours (both are printed)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = call()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def bench_public_form(client, form: dict) -> None:
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from huey.contrib.djhuey import HUEY

    photo = worst_public_photo()
    count = 1 if _seed.QUICK else settings.MAX_UPLOAD_FILES  # the worst request: every photo allowed
    held = []
    HUEY.enqueue = held.append  # the request alone: the worker's jobs are run afterwards
    times, walls = [], []
    for _ in range(REPEAT):
        uploads = [SimpleUploadedFile(f"foto{i}.png", photo, content_type="image/png") for i in range(count)]
        cpu, wall, response = timed(lambda uploads=uploads: client.post("/report/", {**form, "photos": uploads}))
        assert response.status_code == 302, response.status_code
        times.append(cpu)
        walls.append(wall)
    _seed.emit("uploads.public_form.worst_photo.request_cpu", round(max(times), 3), "s",
               target=f"<= {TARGET_REQUEST_S}", n=REPEAT, wall_s=round(max(walls), 3),
               photos=count, photo_mb=round(len(photo) / 1e6, 1))
    from testigo.reports.models import Media

    job = next(task for task in held if task.name.endswith("process_held_photo"))
    cpu, wall, _ = timed(lambda: HUEY.execute(job))
    assert Media.objects.count() == 1, "the worker did not attach the photo"  # one photo: the job
    _seed.emit("uploads.public_form.worst_photo.worker_cpu", round(cpu, 2), "s", target=None, n=1,
               wall_s=round(wall, 2))


def bench_bomb(client, form: dict) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.public.conftest import huge_png

    bomb = huge_png(60000, 60000)  # 3.6 gigapixels in a few bytes
    times = []
    for _ in range(REPEAT):
        upload = SimpleUploadedFile("bomba.png", bomb, content_type="image/png")
        cpu, _wall, response = timed(lambda upload=upload: client.post("/report/", {**form, "photos": [upload]}))
        assert response.status_code == 200 and b"too many pixels" in response.content
        times.append(cpu)
    _seed.emit("uploads.public_form.bomb_refused.request_cpu", round(statistics.median(times) * 1000, 1), "ms",
               target="<= 100", n=REPEAT)


def tipline_client():
    import nacl.pwhash
    from django.contrib.auth import get_user_model
    from django.test import Client

    from testigo.core import roles
    from testigo.tipline import crypto, vault

    crypto.ARGON2_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MIN  # set-up only; not what is measured
    crypto.ARGON2_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MIN
    admin = get_user_model().objects.create_user(username="admin", password="correct horse battery")
    roles.set_role(admin, roles.ADMIN)
    vault.initialise(user=get_user_model().objects.get(pk=admin.pk), password="correct horse battery")
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def bench_tipline() -> None:
    """The worst photos the tip line re-encodes in the request: a noisy PNG at its budget and a
    noisy JPEG at the bomb limit (decoded at reduced scale). Quick: a 12-Mpx JPEG."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from testigo.reports.media import MAX_PIXELS, REQUEST_MAX_PIXELS

    png_side = int(REQUEST_MAX_PIXELS ** 0.5)
    jpeg_size = (4000, 3000) if _seed.QUICK else (7300, 5475)
    assert jpeg_size[0] * jpeg_size[1] <= MAX_PIXELS
    photos = {"png": ("captura.png", encoded(noisy(png_side, png_side), "PNG"), "image/png"),
              "jpeg": ("foto.jpg", encoded(noisy(*jpeg_size), "JPEG", quality=90), "image/jpeg")}
    client = tipline_client()
    for label, (name, data, content_type) in photos.items():
        times, walls = [], []
        for _ in range(REPEAT):
            client.cookies.clear()
            page = client.get("/tip/")
            token = re.search(rb'name="token" value="([^"]+)"', page.content).group(1).decode()
            upload = SimpleUploadedFile(name, data, content_type=content_type)
            cpu, wall, response = timed(lambda upload=upload, token=token: client.post(
                "/tip/", {"token": token, "body": "Ver foto", "files": [upload]}))
            assert response.status_code == 302, response.content[:300]
            times.append(cpu)
            walls.append(wall)
        _seed.emit(f"uploads.tipline.worst_{label}.request_cpu", round(max(times), 3), "s",
                   target=f"<= {TARGET_REQUEST_S}", n=REPEAT, wall_s=round(max(walls), 3),
                   photo_mb=round(len(data) / 1e6, 1))


def main() -> None:
    os.environ["TESTIGO_LANGUAGE"] = "en"  # the assertions read the English messages
    os.environ.setdefault("TESTIGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("TESTIGO_TIP_NEW_PER_HOUR", "1000")
    _seed.setup_django()
    from django.test import Client
    from django.utils import timezone

    from testigo.reports.models import Category

    category = Category.objects.create(slug="robo", name_es="Robo", name_en="Robbery")
    form = {"title": "Asalto", "description": "Dos hombres armados asaltaron el bus.", "category": category.pk,
            "occurred_date": (timezone.localdate() - timedelta(days=1)).isoformat(), "place_name": "Tegucigalpa"}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.get("/report/")  # warm-up: imports, template compilation
    bench_public_form(client, form)
    bench_bomb(client, form)
    bench_tipline()


if __name__ == "__main__":
    main()
