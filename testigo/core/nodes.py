"""Several web nodes and workers sharing one PostgreSQL and one Redis (docs/scale-out.md).

On one machine Testigo generates its secrets into the data directory on first run. With several
nodes that would give each node its own secret key (so each would fuzz the same place differently
and reject the others' sessions) and its own tip-line pepper (so a codename would only open on the
node that issued it). In a multi-node configuration the shared secrets therefore come from the
environment only, and `testigo serve` / `testigo worker` refuse to start without them.

This module only reads environment strings: settings.py imports it before Django is set up.
"""

from __future__ import annotations

import hmac
from pathlib import Path

POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://", "postgis://")
REDIS_SCHEMES = ("redis://", "rediss://")

SECRET_KEY_VARIABLE = "TESTIGO_SECRET_KEY"
PEPPER_VARIABLE = "TESTIGO_TIPLINE_PEPPER"
PEPPER_BYTES = 32  # the size of the generated pepper file; given in the environment as 64 hex digits
SECRET_KEY_MIN_CHARS = 50  # Django's own deployment check asks for at least 50 characters


def is_postgres(url: str) -> bool:
    return url.strip().lower().startswith(POSTGRES_SCHEMES)


def is_redis(url: str) -> bool:
    return url.strip().lower().startswith(REDIS_SCHEMES)


def is_multi_node(*, database_url: str, queue_url: str, cache_url: str) -> bool:
    """PostgreSQL plus Redis (for the queue or the cache) is the configuration several nodes share."""
    return is_postgres(database_url) and (is_redis(queue_url) or is_redis(cache_url))


def parse_pepper(text: str) -> bytes:
    """The pepper given in the environment: 64 hex digits (32 bytes). Raise ValueError otherwise."""
    cleaned = "".join(text.split())
    raw = bytes.fromhex(cleaned)  # ValueError on anything that is not hex
    if len(raw) != PEPPER_BYTES:
        raise ValueError("wrong length")
    return raw


def shared_secret_problems(*, secret_key: str, pepper: str, data_dir: Path) -> list[str]:
    """What keeps this node from starting in a multi-node configuration, one translated sentence
    each (empty when nothing does). The variables that are missing are named in one sentence."""
    from django.utils.translation import gettext as _

    missing = [name for name, value in ((SECRET_KEY_VARIABLE, secret_key), (PEPPER_VARIABLE, pepper))
               if not value.strip()]
    problems = []
    if missing:
        problems.append(_(
            "This is a multi-node configuration (PostgreSQL and Redis), so every node must take the same "
            "secrets from its environment, never from a file it generated itself. Set %(names)s to the same "
            "values on every web node and worker, then start again (docs/scale-out.md)."
        ) % {"names": ", ".join(missing)})
    if secret_key.strip() and len(secret_key) < SECRET_KEY_MIN_CHARS:
        problems.append(_("%(name)s must be at least %(count)d characters long.")
                        % {"name": SECRET_KEY_VARIABLE, "count": SECRET_KEY_MIN_CHARS})
    if pepper.strip():
        try:
            parse_pepper(pepper)
        except ValueError:
            problems.append(_("%(name)s must be %(count)d hexadecimal digits (for example the output of "
                              "`openssl rand -hex 32`).") % {"name": PEPPER_VARIABLE, "count": PEPPER_BYTES * 2})
    # A node that ran alone before keeps its generated files: the environment must carry the same
    # values, or location fuzzing and every tip-line codename would silently change.
    for name, value, filename in ((SECRET_KEY_VARIABLE, secret_key, "secret_key"),
                                  (PEPPER_VARIABLE, pepper, "tipline_pepper")):
        path = data_dir / filename
        if not value.strip() or not path.exists():
            continue
        if filename == "secret_key":
            same = hmac.compare_digest(path.read_text().strip().encode(), value.encode())
        else:
            try:
                same = hmac.compare_digest(path.read_bytes(), parse_pepper(value))
            except ValueError:
                continue  # already reported above
        if not same:
            problems.append(_(
                "%(name)s differs from %(path)s, which this node generated when it ran alone. Copy that "
                "file's value into %(name)s on every node (docs/scale-out.md), or existing data would no "
                "longer match."
            ) % {"name": name, "path": path})
    return problems


def refuse_without_shared_secrets() -> None:
    """Raise CommandError (for `serve` and `worker`) in a multi-node configuration that lacks them."""
    import os

    from django.conf import settings
    from django.core.management.base import CommandError

    if not settings.MULTI_NODE:
        return
    problems = shared_secret_problems(secret_key=os.environ.get(SECRET_KEY_VARIABLE, ""),
                                      pepper=os.environ.get(PEPPER_VARIABLE, ""),
                                      data_dir=Path(settings.DATA_DIR))
    if problems:
        raise CommandError("\n".join(problems))
