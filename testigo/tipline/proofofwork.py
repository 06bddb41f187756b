"""Proof of work for new tips: a cost that grows with load, paid by the browser, keyed to no one.

A flood of junk tips used to close the tip line for everyone for the rest of the hour. Now,
below TIP_NEW_PER_HOUR new tips in the current hour nothing is asked, so a source with
JavaScript off (Tor Browser's "Safest" level) can send whenever there is no flood. Above it,
every new tip needs a proof of work that the tip page's script (static/testigo/tipline-work.js)
computes: find an answer such that SHA-256(challenge ":" answer) starts with `bits` zero bits.
Each doubling of the hour's load adds a bit, doubling the expected work per tip, so a flood of
N tips costs its sender work growing like N², while one source pays for one tip.

Challenges are issued signed (an HMAC with the secret key) and stateless, so fetching them
writes nothing; a challenge is spent once: an HMAC of its nonce is stored (in TipThrottle,
under its expiry hour) until it expires, so it cannot be replayed. Nothing here knows who asked.
Like GlobaLeaks' hashcash this is a speed bump against a determined attacker with fast
hardware; Tor's own onion-service proof of work is the defence against network floods.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

from testigo.tipline import throttle

# The first step above the free load: ~16,000 SHA-256, a tenth of a second in a browser (the
# page's script measured ~150,000 hashes a second on a busy shared server core).
BASE_BITS = 14
# The ceiling: ~1 million hashes, some seconds in a browser (more on an old phone). Higher and
# real sources give up; an attacker with native code pays well under a second per tip at the cap.
MAX_BITS = 20
# A challenge is fetched when the source presses "send"; this is ample to solve it and post.
CHALLENGE_SECONDS = 900
# The load may rise between fetching a challenge and posting the tip: accept one bit less.
SLACK_BITS = 1
# Answers are decimal counters; anything longer is not one of ours.
MAX_ANSWER_CHARS = 20
SPENT = "pow_spent"
_SALT = "testigo.tipline.proofofwork"


@dataclass(frozen=True)
class Work:
    """What the browser sends back: the challenge it was given and its answer."""

    challenge: str
    answer: str


def required_bits(load: int | None = None) -> int:
    """Zero below the free hourly load; then BASE_BITS, plus one bit per doubling of the load."""
    free = max(settings.TIP_NEW_PER_HOUR, 1)
    load = throttle.count(throttle.NEW_TIP) if load is None else load
    if load < free:
        return 0
    return min(MAX_BITS, BASE_BITS + (load // free).bit_length() - 1)


def issue() -> dict:
    """A fresh challenge at the difficulty the current load asks for (bits 0: nothing to do)."""
    bits = required_bits()
    expires = int(throttle.now()) + CHALLENGE_SECONDS
    return {"challenge": signing.dumps([secrets.token_urlsafe(18), bits, expires], salt=_SALT), "bits": bits}


def leading_zero_bits(digest: bytes) -> int:
    return len(digest) * 8 - int.from_bytes(digest, "big").bit_length()


def solves(challenge: str, answer: str, bits: int) -> bool:
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{answer}".encode()).digest()) >= bits


def _checked(work: Work | None, required: int) -> tuple[str, int] | None:
    """(nonce, expiry) if `work` is ours, unexpired, hard enough and solved; else None."""
    if work is None or not work.answer.isdigit() or len(work.answer) > MAX_ANSWER_CHARS:
        return None
    try:
        nonce, bits, expires = signing.loads(work.challenge, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if expires < throttle.now() or bits < required - SLACK_BITS or not solves(work.challenge, work.answer, bits):
        return None
    return nonce, expires


def valid(work: Work | None, required: int) -> bool:
    """Cheap checks only (no write): run before the costly codename derivation."""
    return required == 0 or _checked(work, required) is not None


def spend(work: Work | None, required: int) -> bool:
    """Mark the challenge used; False if it is not valid or was used already (a replay). Call it
    in the tip's transaction, so a tip that fails later does not burn the source's work."""
    if required == 0:
        return True
    checked = _checked(work, required)
    if checked is None:
        return False
    nonce, expires = checked
    return throttle.spend(SPENT, key=salted_hmac(_SALT, nonce).hexdigest()[:32], until=expires)
