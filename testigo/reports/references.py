"""Report references ("T-4K7Q-9MZD"): 8 random symbols of Crockford's base32 without look-alikes,
40 bits that reveal no count or order. The one generator, for single reports and bulk inserts."""

from __future__ import annotations

import secrets

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
assert len(REFERENCE_ALPHABET) == 32  # `byte & 31` below stays uniform because 32 divides 256


def new_references(n: int) -> list[str]:
    """n fresh references from one read of the system's random source (a bulk import draws
    thousands at once; eight secrets.choice calls each cost far more)."""
    symbols = [REFERENCE_ALPHABET[b & 31] for b in secrets.token_bytes(8 * n)]
    return [f"T-{''.join(symbols[i:i + 4])}-{''.join(symbols[i + 4:i + 8])}" for i in range(0, 8 * n, 8)]


def new_reference() -> str:
    return new_references(1)[0]
