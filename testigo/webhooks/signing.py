"""The signature of a delivery: HMAC-SHA256 with the webhook's secret over "<timestamp>.<body>".

Headers sent with every delivery:
  Testigo-Event: report.published
  Testigo-Delivery: <delivery id>   (the same for every retry of one delivery; a replay has its own)
  Testigo-Timestamp: <unix seconds when this attempt was signed>
  Testigo-Signature: t=<timestamp>,v1=<hex digest>

A receiver recomputes the digest over the timestamp, a dot and the raw body, compares in constant
time, and refuses timestamps older than a few minutes: a captured request cannot be replayed
later, and the body cannot be changed without the secret. docs/webhooks.md shows how.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "whsec_"
TOLERANCE_S = 300


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def headers(*, secret: str, timestamp: int, body: bytes, event: str, delivery_id: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": "Testigo-Webhooks/1",
            "Testigo-Event": event, "Testigo-Delivery": str(delivery_id), "Testigo-Timestamp": str(timestamp),
            "Testigo-Signature": f"t={timestamp},v1={signature(secret, timestamp, body)}"}


def verify(*, secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE_S) -> bool:
    """What a receiver does (and the tests' receiver): True only for a fresh, untampered request."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), parts.get("v1", ""))
