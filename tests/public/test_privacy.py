"""House rule 4: a public submission leaves no client address or user agent anywhere —
not in any column of any table, not in any log line."""

from __future__ import annotations

import io
import logging

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

PROBE_IP = "203.0.113.77"
PROBE_PROXY_IP = "198.51.100.23"
PROBE_AGENT = "TestigoProbe/9.9"
PROBES = (PROBE_IP, PROBE_PROXY_IP, PROBE_AGENT, "TestigoProbe")


def database_text() -> str:
    """Every row of every table (models and M2M tables) as text, sessions decoded."""
    chunks = []
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - own table names
            chunks.extend(repr(row) for row in cursor.fetchall())
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table not in tables:  # app without migrations yet: no rows to hide
            continue
        chunks.extend(repr(row) for row in model._default_manager.values_list())
    # Session data is base64-encoded: decode it so nothing hides there.
    chunks.extend(repr(SessionStore().decode(s.session_data)) for s in Session.objects.all())
    return "\n".join(chunks)


def submit(form_data, make_image):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client(REMOTE_ADDR=PROBE_IP, HTTP_X_FORWARDED_FOR=f"{PROBE_PROXY_IP}, {PROBE_IP}",
                    HTTP_X_REAL_IP=PROBE_IP, HTTP_USER_AGENT=PROBE_AGENT, HTTP_ACCEPT_LANGUAGE="en")
    client.get("/report/")
    photo = SimpleUploadedFile("foto.jpg", make_image("JPEG"), content_type="image/jpeg")
    response = client.post("/report/", {**form_data, "title": "Sonda de privacidad", "photos": [photo]})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    # A bad submission too: error paths must be as quiet as the happy one.
    assert client.post("/report/", {**form_data, "title": ""}).status_code == 200
    return client


def test_public_submission_stores_no_address_or_user_agent(transactional_db, form_data, make_image):
    submit(form_data, make_image)
    text = database_text()
    assert "Sonda de privacidad" in text  # the search does see what was stored
    for probe in PROBES:
        assert probe not in text, f"{probe!r} found in the database"


@pytest.fixture
def all_logs(caplog):
    """Everything logged at DEBUG: caplog's records plus what the configured handlers (with
    their filters) actually write. django.request/django.server do not propagate to the root,
    so the capture is attached to them too."""
    stream = io.StringIO()
    loggers = [logging.getLogger(), logging.getLogger("django.request"), logging.getLogger("django.server")]
    handlers = {h for lg in loggers for h in lg.handlers if isinstance(h, logging.StreamHandler)}
    saved = [(lg, lg.level) for lg in loggers] + [(h, h.setStream(stream)) for h in handlers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        if lg.name != "root":
            lg.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    yield lambda: stream.getvalue() + "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records)
    for thing, previous in saved:
        if isinstance(thing, logging.Logger):
            thing.setLevel(previous)
            thing.removeHandler(caplog.handler)
        else:
            thing.setStream(previous)


def test_public_submission_logs_no_address_or_user_agent(db, form_data, make_image, all_logs):
    submit(form_data, make_image)
    # A 404 and a CSRF failure are logged by Django with the request attached.
    Client(REMOTE_ADDR=PROBE_IP, HTTP_USER_AGENT=PROBE_AGENT).get("/r/T-0000-0000/")
    Client(REMOTE_ADDR=PROBE_IP, HTTP_USER_AGENT=PROBE_AGENT, enforce_csrf_checks=True).post("/report/", form_data)
    logged = all_logs()
    assert "Not Found: /r/T-0000-0000/" in logged, "the log capture is not working"
    assert "Forbidden (CSRF" in logged
    for probe in PROBES:
        assert probe not in logged, f"{probe!r} found in the logs"
