"""Read replicas for the public pages (TESTIGO_DATABASE_REPLICA_URLS, docs/scale-out.md).

Every query goes to the primary ("default") unless the request being answered is a public read:
a GET or HEAD of a public page, the public API or the map, from a visitor with no session cookie
and no Authorization header. Only then do reads go to a replica ("replica_1", "replica_2", …),
and only while

- nothing has been written in this request (the first write sends the rest of it to the primary),
- no transaction is open on the primary (a read inside one must see the transaction's own rows),
- the replica answers and replays within TESTIGO_REPLICA_MAX_LAG_SECONDS of the primary
  (checked at most once a second per process; an unreachable or lagging replica is skipped).

Staff (anyone with a session cookie or an API token), workers, management commands and every
write use the primary, so a staff member always reads back what they just wrote. The public has
no cookies, so there is no cross-request stickiness to keep for them: the pages that follow a
public write (the report form's thank-you page, the tip line) are never answered from a replica.

The choice is a context variable set by ReadReplicaMiddleware for the request's thread; the
router (ReplicaRouter, DATABASE_ROUTERS) reads it.
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)

PREFIX = "replica_"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# URL namespaces whose pages the public reads (testigo/urls.py), and the views among them that
# follow a public write or take one: those stay on the primary.
PUBLIC_NAMESPACES = frozenset({"public", "stories", "api"})
PRIMARY_VIEWS = frozenset({"public:report_new", "public:report_thanks"})
LAG_CHECK_SECONDS = 1.0

_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar("testigo_read_alias", default=None)
_health: dict[str, tuple[float, bool]] = {}  # alias -> (checked at, usable)
_health_lock = threading.Lock()

# The lag of a standby: zero when it has replayed everything it received (an idle primary writes
# no WAL, so "now - last replayed commit" would otherwise grow forever), else the age of the
# last commit it replayed. NULL on a server that is not a standby.
LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def aliases() -> list[str]:
    """The replica aliases configured, in order ("replica_1", …)."""
    return sorted((alias for alias in connections.settings if alias.startswith(PREFIX)),
                  key=lambda alias: int(alias.removeprefix(PREFIX) or 0))


def database_settings(urls: str, primary: dict, primary_url: str) -> dict[str, dict]:
    """DATABASES entries for TESTIGO_DATABASE_REPLICA_URLS (a comma-separated list). Tests run on
    the primary alone: each replica mirrors "default" in Django's test databases."""
    import dj_database_url
    from django.core.exceptions import ImproperlyConfigured

    from testigo.core import nodes

    out = {}
    for number, url in enumerate((u.strip() for u in urls.split(",") if u.strip()), start=1):
        if not nodes.is_postgres(url) or not nodes.is_postgres(primary_url):
            raise ImproperlyConfigured(
                "TESTIGO_DATABASE_REPLICA_URLS lists PostgreSQL streaming standbys of a PostgreSQL "
                f"TESTIGO_DATABASE_URL; replica {number} is not one (docs/scale-out.md).")
        db = dj_database_url.parse(url, conn_max_age=primary.get("CONN_MAX_AGE", 60), conn_health_checks=True)
        db["OPTIONS"] = {**db.get("OPTIONS", {}), "connect_timeout": 2}
        db["TEST"] = {"MIRROR": DEFAULT_DB_ALIAS}
        out[f"{PREFIX}{number}"] = db
    return out


def lag_seconds(alias: str) -> float | None:
    """How far `alias` is behind the primary, in seconds (None: not a standby)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL)
        value = cursor.fetchone()[0]
    return None if value is None else float(value)


def usable(alias: str) -> bool:
    """Whether `alias` answers and is within TESTIGO_REPLICA_MAX_LAG_SECONDS (cached a second)."""
    now = time.monotonic()
    with _health_lock:
        checked = _health.get(alias)
        if checked and now - checked[0] < LAG_CHECK_SECONDS:
            return checked[1]
    try:
        lag = lag_seconds(alias)
        ok = lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS
        if not ok:
            log.warning("read replica %s is %s: reading from the primary", alias,
                        "not a standby" if lag is None else f"{lag:.1f} s behind")
    except Exception as exc:  # unreachable, restarting, authentication: the primary answers instead
        log.warning("read replica %s is unreachable (%s): reading from the primary", alias, type(exc).__name__)
        try:
            connections[alias].close()
        except Exception:
            pass
        ok = False
    with _health_lock:
        _health[alias] = (time.monotonic(), ok)
    return ok


def forget_health() -> None:
    """Check every replica's lag again on next use (tests)."""
    with _health_lock:
        _health.clear()


def choose() -> str | None:
    """A usable replica for this request, or None for the primary."""
    candidates = aliases()
    random.shuffle(candidates)  # several replicas share the public's reads
    return next((alias for alias in candidates if usable(alias)), None)


def current() -> str | None:
    """The replica this request reads from, or None (the primary)."""
    alias = _read_alias.get()
    if alias is not None and connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    return alias


def use_primary() -> None:
    """Send the rest of this request to the primary (after a write)."""
    if _read_alias.get() is not None:
        _read_alias.set(None)


def is_public_read(request, resolver_match) -> bool:
    """A GET/HEAD of a public page by someone without a session or an API token."""
    if request.method not in SAFE_METHODS or resolver_match is None:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "Authorization" in request.headers:
        return False
    namespaces = resolver_match.namespaces
    return bool(namespaces) and namespaces[0] in PUBLIC_NAMESPACES and resolver_match.view_name not in PRIMARY_VIEWS


class ReplicaRouter:
    """Reads of a public request go to its replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        return current() or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        use_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # a replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return not db.startswith(PREFIX)  # a standby is read-only: it follows the primary's schema


class ReadReplicaMiddleware:
    """Decide, once the view is known, whether this request may read from a replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _read_alias.set(None)
        try:
            return self.get_response(request)
        finally:
            _read_alias.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_public_read(request, request.resolver_match):
            alias = choose()
            if alias is not None:
                _read_alias.set(alias)
        return None


def read_connection():
    """The connection a raw-SQL public read should use: this request's replica, else the primary."""
    return connections[current() or DEFAULT_DB_ALIAS]
