"""Promise 6: floods do not hurt — size caps, and a flood raises the cost of sending (a proof of
work that grows with the hour's load) instead of closing the tip line; none of it needs an address."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.tipline import codenames, proofofwork, services, throttle
from testigo.tipline.models import Source, Tip, TipThrottle

WORK_JS = Path(__file__).parents[2] / "testigo" / "static" / "testigo" / "tipline-work.js"


@pytest.fixture
def cheap_scrypt(monkeypatch):
    """Cheap codename hashing, so a flood of tips or logins fits in a fast test (production keeps
    SecureDrop's scrypt cost, codenames.SCRYPT_N)."""
    monkeypatch.setattr(codenames, "SCRYPT_N", 2**4)


@pytest.fixture
def cheap_work(monkeypatch, settings, cheap_scrypt):
    """A free load of 3 tips an hour and easy puzzles, so a flood fits in a fast test."""
    settings.TIP_NEW_PER_HOUR = 3
    monkeypatch.setattr(proofofwork, "BASE_BITS", 4)
    monkeypatch.setattr(proofofwork, "MAX_BITS", 8)


def _solve(issued: dict) -> proofofwork.Work:
    """What the page's script does, in Python."""
    answer = next(str(i) for i in itertools.count() if proofofwork.solves(issued["challenge"], str(i), issued["bits"]))
    return proofofwork.Work(challenge=issued["challenge"], answer=answer)

pytestmark = pytest.mark.usefixtures("english")  # the page text checked below is English


def _token(response) -> str:
    return re.search(rb'name="token" value="([^"]+)"', response.content).group(1).decode()


def test_overlong_message_is_refused_and_the_text_is_kept(client, tip_admin, settings):
    settings.TIP_MAX_MESSAGE_CHARS = 50
    text = "a long story " * 10
    page = client.get("/tip/")
    response = client.post("/tip/", {"token": _token(page), "body": text})
    assert response.status_code == 400 and b"too long" in response.content
    assert text.strip().encode() in response.content and not Tip.objects.exists()


def test_oversized_file_is_refused(client, tip_admin, settings):
    settings.TIP_MAX_FILE_MB = 1
    page = client.get("/tip/")
    big = SimpleUploadedFile("dump.bin", b"\0" * (1024 * 1024 + 1))
    response = client.post("/tip/", {"token": _token(page), "body": "see file", "files": [big]})
    assert response.status_code == 400 and b"larger than the limit" in response.content
    assert b"see file" in response.content and not Tip.objects.exists()


def test_too_many_files_are_refused(tip_admin, settings):
    settings.TIP_MAX_FILES = 2
    with pytest.raises(ValidationError):
        services.submit_tip(body="x", files=[(f"f{i}.txt", b"x") for i in range(3)], language="en")


def test_empty_message_is_refused(tip_admin):
    with pytest.raises(ValidationError):
        services.submit_tip(body="   ", files=[], language="en")


def test_a_flood_of_junk_tips_no_longer_closes_the_tip_line_for_a_source_who_pays(client, tip_admin, cheap_work):
    bits_seen = []
    for _ in range(12):  # 3 free, then every junk tip pays, and the price rises with the load
        issued = proofofwork.issue()
        bits_seen.append(issued["bits"])
        services.submit_tip(body="junk", files=[], language="en", work=_solve(issued) if issued["bits"] else None)
    assert bits_seen == [0, 0, 0, 4, 4, 4, 5, 5, 5, 5, 5, 5]
    assert proofofwork.required_bits() == 6  # 12 tips this hour: four times the free load
    # A real source, with JavaScript: the page's script fetches a challenge, solves it, sends.
    page = client.get("/tip/")
    csp = page["Content-Security-Policy"]
    assert b"tipline-work.js" in page.content and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp  # our own file only, nothing inline
    assert "script-src 'none'" in client.get("/tip/login/")["Content-Security-Policy"]  # that page alone
    issued = client.get("/tip/challenge/").json()
    work = _solve(issued)
    response = client.post("/tip/", {"token": _token(page), "body": "the real tip",
                                     "work_challenge": work.challenge, "work_answer": work.answer})
    assert response.status_code == 302 and response["Location"] == "/tip/sent/"
    assert Source.objects.count() == 13


def test_during_a_flood_a_tip_without_work_is_refused_with_its_text_kept(client, tip_admin, cheap_work):
    for _ in range(3):
        services.submit_tip(body="junk", files=[], language="en")
    page = client.get("/tip/")
    assert b"JavaScript" in page.content  # the <noscript> notice says what to do
    response = client.post("/tip/", {"token": _token(page), "body": "my story, kept"})
    assert response.status_code == 400 and b"short computation" in response.content
    assert b"my story, kept" in response.content and Source.objects.count() == 3


def test_a_challenge_is_single_use_signed_and_expires(tip_admin, cheap_work, monkeypatch):
    for _ in range(3):
        services.submit_tip(body="junk", files=[], language="en")
    work = _solve(proofofwork.issue())
    services.submit_tip(body="paid", files=[], language="en", work=work)
    with pytest.raises(services.WorkRequired):  # replayed
        services.submit_tip(body="again", files=[], language="en", work=work)
    spent = TipThrottle.objects.get(kind=proofofwork.SPENT)
    assert spent.key not in work.challenge  # an HMAC of the nonce, not the nonce
    forged = proofofwork.Work(challenge=work.challenge[:-2] + "xx", answer=work.answer)
    with pytest.raises(services.WorkRequired):
        services.submit_tip(body="forged", files=[], language="en", work=forged)
    late = _solve(proofofwork.issue())
    start = throttle.now()
    monkeypatch.setattr(throttle, "_clock", lambda: start + proofofwork.CHALLENGE_SECONDS + 1)
    with pytest.raises(services.WorkRequired):
        services.submit_tip(body="late", files=[], language="en", work=late)
    assert Source.objects.count() == 4


def test_no_javascript_needed_and_no_script_served_when_there_is_no_flood(client, tip_admin, cheap_work):
    page = client.get("/tip/")
    assert b"<script" not in page.content and "script-src 'none'" in page["Content-Security-Policy"]
    assert client.post("/tip/", {"token": _token(page), "body": "calm day"}).status_code == 302


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_script_solves_a_server_challenge(tip_admin, cheap_work, settings):
    settings.TIP_NEW_PER_HOUR = 1
    services.submit_tip(body="load", files=[], language="en")
    issued = proofofwork.issue()
    program = (f"require({json.dumps(str(WORK_JS))}); const W = globalThis.TestigoWork;"
               f"console.log(W.sha256Hex('abc'));"
               f"W.solve({json.dumps(issued['challenge'])}, {issued['bits']}, a => console.log(a));")
    digest, answer = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=30,
                                    check=True).stdout.split()
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    work = proofofwork.Work(challenge=issued["challenge"], answer=answer)
    services.submit_tip(body="solved in JavaScript", files=[], language="en", work=work)
    assert Source.objects.count() == 2


def test_a_valid_codename_logs_in_during_a_wrong_codename_flood(client, tip_admin, settings, cheap_scrypt):
    settings.TIP_LOGIN_FAILURES_PER_MINUTE = 3
    _access, codename = services.submit_tip(body="hola", files=[], language="en")
    for i in range(5):
        with pytest.raises((ValidationError, services.Throttled)):
            services.source_login(codename=f"wrong guess number {i}")
    with pytest.raises(services.Throttled):  # the flood is noticed...
        services.source_login(codename="one more wrong guess")
    page = client.get("/tip/login/")
    response = client.post("/tip/login/", {"token": _token(page), "codename": codename})
    assert response.status_code == 302 and response["Location"] == "/tip/conversation/"  # ...and not felt


def test_during_a_flood_the_page_script_pays_the_work_in_a_real_browser(page, tip_admin, settings, cheap_scrypt):
    """Chromium with JavaScript on, at the production difficulty (BASE_BITS) of a flood's first step."""
    settings.TIP_NEW_PER_HOUR = 3
    for _ in range(3):
        services.submit_tip(body="junk", files=[], language="en")
    assert proofofwork.required_bits() == proofofwork.BASE_BITS
    page.goto("/tip/")
    page.fill("textarea[name=body]", "Sent by a browser that did the work")
    page.click("form.tip-form button[type=submit]")
    page.wait_for_url("**/tip/sent/")
    assert Source.objects.count() == 4
