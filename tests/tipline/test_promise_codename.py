"""Promise 2: the codename is the only key."""

from __future__ import annotations

import re
import stat

import pytest
from django.core.exceptions import ValidationError

from testigo.tipline import codenames, services, throttle
from testigo.tipline.models import Source, TipThrottle

pytestmark = pytest.mark.usefixtures("english")  # the page text checked below is English


def test_codename_is_seven_words_from_a_list_of_at_least_7000():
    for language in ("es", "en"):
        words = codenames.wordlist(language).words
        assert len(set(words)) >= 7000
        codename = codenames.generate(language)
        assert len(codename.split()) == 7 and all(w in words for w in codename.split())


def test_spanish_pages_get_spanish_words_and_english_pages_english_words():
    es, en = set(codenames.wordlist("es").words), set(codenames.wordlist("en").words)
    assert {"abanico", "abajo"} <= es and {"abacus", "abdomen"} <= en
    assert all(w in es for w in codenames.generate("es").split())
    assert all(w in en for w in codenames.generate("en").split())


def test_a_weak_wordlist_is_refused():
    with pytest.raises(codenames.WeakWordlist):
        codenames.Wordlist([f"w{i}" for i in range(6999)])
    with pytest.raises(codenames.WeakWordlist):
        codenames.Wordlist(["same"] * 10000)


def test_codename_input_is_normalised():
    assert codenames.normalise("  Ábaco\tPERRO  niño ") == "abaco perro nino"
    assert codenames.lookup_hash("ábaco perro") == codenames.lookup_hash("ABACO   Perro")


@pytest.mark.real_kdf  # production's scrypt cost: other tests run a trivial one
def test_codename_hash_is_peppered_and_the_pepper_lives_in_a_0600_file(settings, tip_admin):
    access, codename = services.submit_tip(body="hola", files=[], language="es")
    pepper = settings.DATA_DIR / codenames.PEPPER_FILE
    assert stat.S_IMODE(pepper.stat().st_mode) == 0o600
    stored = Source.objects.get().codename_hash
    assert stored == codenames.lookup_hash(codename)
    import hashlib

    secure_drop_cost = dict(n=2**14, r=8, p=1, dklen=32)
    assert stored == hashlib.scrypt(codenames.normalise(codename).encode(),
                                    salt=b"testigo-tipline-id:" + pepper.read_bytes(), **secure_drop_cost).hex()
    assert stored != hashlib.scrypt(codename.encode(), salt=b"testigo-tipline-id:", **secure_drop_cost).hex()
    pepper.write_bytes(b"another pepper")  # a database alone (without the pepper) is useless
    assert codenames.lookup_hash(codename) != stored


def test_wrong_and_unknown_codename_look_the_same(client, tip_admin):
    _access, codename = services.submit_tip(body="hola", files=[], language="en")
    words = codename.split()
    wrong = " ".join(words[:-1] + ["zebra" if words[-1] != "zebra" else "apple"])
    answers = []
    for attempt in (wrong, "not a codename at all", "x"):
        page = client.get("/tip/login/")
        token = re.search(rb'name="token" value="([^"]+)"', page.content).group(1).decode()
        response = client.post("/tip/login/", {"token": token, "codename": attempt})
        body = response.content.decode()
        answers.append((response.status_code, re.search(r'role="alert">(.*?)</div>', body, re.S).group(1)))
    assert answers[0] == answers[1] == answers[2]
    assert "not recognised" in answers[0][1]


def test_login_with_overly_long_codename_is_refused_before_hashing(client, tip_admin, monkeypatch):
    called = []
    monkeypatch.setattr(codenames, "lookup_hash", lambda c: called.append(c) or "0" * 64)
    page = client.get("/tip/login/")
    token = re.search(rb'name="token" value="([^"]+)"', page.content).group(1).decode()
    response = client.post("/tip/login/", {"token": token, "codename": "word " * 100})
    assert response.status_code == 400 and called == []


def test_login_attempts_are_throttled_per_codename(settings, tip_admin):
    settings.TIP_LOGIN_FAILURES_PER_CODENAME = 3
    for _ in range(3):
        with pytest.raises(ValidationError):
            services.source_login(codename="abacus abdomen abide able about above acorn")
    with pytest.raises(services.Throttled):
        services.source_login(codename="abacus abdomen abide able about above acorn")
    with pytest.raises(ValidationError):  # another codename is not blocked by that one
        services.source_login(codename="zoom zone zebra yodel yarn yam acorn")


def test_wrong_login_attempts_are_throttled_globally(settings, tip_admin):
    settings.TIP_LOGIN_FAILURES_PER_MINUTE = 4
    for i in range(4):
        with pytest.raises(ValidationError):
            services.source_login(codename=f"guess number {i}")
    with pytest.raises(services.Throttled):
        services.source_login(codename="guess number 5")


def test_throttle_stores_no_identity(client, tip_admin):
    for i in range(3):
        with pytest.raises(ValidationError):
            services.source_login(codename=f"guess {i}")
    rows = list(TipThrottle.objects.values("kind", "key", "count"))
    assert {r["kind"] for r in rows} == {throttle.LOGIN_GLOBAL, throttle.LOGIN_CODENAME}
    assert all(r["key"] == "*" or re.fullmatch(r"[0-9a-f]{16}", r["key"]) for r in rows)
    hashes = {codenames.lookup_hash(f"guess {i}") for i in range(3)}
    assert not any(r["key"] in h for r in rows for h in hashes if r["key"] != "*")


def test_spanish_tip_page_gives_a_spanish_codename(client, tip_admin):
    page = client.get("/tip/?lang=es")
    client.post("/tip/", {"token": re.search(rb'name="token" value="([^"]+)"', page.content).group(1).decode(),
                          "body": "Hay extorsión en el mercado"})
    sent = client.get("/tip/sent/")
    words = re.findall(rb"<span>([a-z-]+)</span>", sent.content)
    assert len(words) == 7
    spanish = set(codenames.wordlist("es").words)
    assert all(w.decode() in spanish for w in words)
    assert Source.objects.get().codename_hash == codenames.lookup_hash(" ".join(w.decode() for w in words))
