"""Promise 3: no IP address and no user agent is stored, in the database or any log."""

from __future__ import annotations

import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

IP = "203.0.113.77"
FORWARDED = "198.51.100.23"
AGENT = "Mozilla/5.0 (DistinctiveAgent-7f3a9) Gecko/20100101"
META = {"REMOTE_ADDR": IP, "HTTP_X_FORWARDED_FOR": f"{FORWARDED}, {IP}", "HTTP_X_REAL_IP": FORWARDED,
        "HTTP_USER_AGENT": AGENT}


@pytest.fixture
def log_file(settings):
    """Point every handler the project configured at a file, at DEBUG level, for the test."""
    path = settings.DATA_DIR / "testigo.log"
    stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed below
    names = ["", "django", "django.request", "django.server", "django.security", "gunicorn.error", "testigo"]
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:  # the project's configured handlers, not pytest's
                saved.append((handler, handler.setStream(stream)))
    yield path
    for item, previous in reversed(saved):
        if isinstance(item, logging.Handler):
            item.setStream(previous)
        else:
            item.setLevel(previous)
    stream.close()


def _token(response) -> str:
    return re.search(rb'name="token" value="([^"]+)"', response.content).group(1).decode()


def test_no_ip_address_and_no_user_agent_is_stored(client, tip_admin, org_key, settings, log_file, tl):
    from testigo.tipline import services
    from testigo.tipline.models import Tip

    page = client.get("/tip/", **META)
    photo = SimpleUploadedFile("a.jpg", tl.gps_jpeg(), content_type="image/jpeg")
    assert client.post("/tip/", {"token": _token(page), "body": "tip", "files": [photo]}, **META).status_code == 302
    client.get("/tip/sent/", **META)
    services.staff_reply(actor=tip_admin, org_private=org_key, tip=Tip.objects.get(), body="ok")
    # the paths that log: a bad form, an expired token, a 404, a wrong codename, a bad method
    client.post("/tip/", {"token": "stale", "body": "x"}, **META)
    client.post("/tip/login/", {"token": _token(client.get("/tip/login/", **META)), "codename": "no such"}, **META)
    client.get("/tip/does-not-exist/", **META)
    client.put("/tip/login/", **META)
    client.post("/tip/conversation/", {"token": _token(client.get("/tip/conversation/", **META)), "body": "more"}, **META)
    logging.getLogger("django.request").warning("probe %s", "line")  # the file really receives log lines
    for handler in logging.getLogger().handlers:
        handler.flush()
    logged = log_file.read_text()
    assert "probe line" in logged
    for needle in (IP, FORWARDED, AGENT, "DistinctiveAgent"):
        assert tl.database_hits(needle) == [], needle
        assert needle not in logged
        assert tl.file_hits(settings.DATA_DIR, needle) == [], needle


def test_gunicorn_is_started_without_an_access_log(monkeypatch, settings):
    """gunicorn's access log would record addresses and user agents: `testigo serve` has none."""
    import io
    import subprocess

    from testigo.core.management.commands import serve

    started = []

    class FakeProcess:
        def __init__(self, args, **kwargs):
            started.append(args)

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(subprocess, "Popen", FakeProcess)
    with pytest.raises(SystemExit):  # the fake gunicorn has exited at once: serve reports a failure
        serve.run(host="127.0.0.1", port=8999, workers=1, with_worker=False, stdout=io.StringIO())
    command = " ".join(started[-1])
    assert "gunicorn" in command
    assert "--access-logfile" not in command and "--access-logformat" not in command


def test_error_reports_are_not_mailed_with_request_details(settings):
    """Django's AdminEmailHandler would mail the request (address, user agent) on a 500."""
    from django.utils.log import AdminEmailHandler

    handlers = [h for name in ("", "django", "django.request")
                for h in logging.getLogger(name).handlers if isinstance(h, AdminEmailHandler)]
    assert handlers == [] or settings.ADMINS == []
