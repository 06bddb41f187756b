"""Testigo settings: configured only from TESTIGO_* environment variables.

Every variable is documented in the README's configuration table. Nothing secret is stored
in the repository: the secret key is read from TESTIGO_SECRET_KEY or generated on first run
into the data directory with 0600 permissions.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from testigo.core import nodes as _nodes
from testigo.core.db.replicas import database_settings as _replica_settings

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"TESTIGO_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Everything Testigo writes (the database and its -wal/-shm files, the queue, media, secrets,
# collected static files) is for its own user only: files 0600, directories 0700, whatever the
# umask of the shell or service that started it (Debian's default 022 would give 0644). SQLite
# gives -wal/-shm the database file's own mode. Set here because every entry point (the testigo
# command, gunicorn, a WSGI server started by hand) reads the settings before writing anything.
PRIVATE_UMASK = 0o077
os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)  # stricter than the inherited umask, never looser

DATA_DIR = Path(env("DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
if DATA_DIR.stat().st_uid == os.getuid() and DATA_DIR.stat().st_mode & 0o077:
    DATA_DIR.chmod(0o700)  # a data directory made by an older version or by hand: close it


def _secret_from_file(name: str, nbytes: int = 48) -> str:
    """Read a secret from DATA_DIR/name, creating it (mode 0600) on first use."""
    path = DATA_DIR / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        value = secrets.token_urlsafe(nbytes)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        return value


def _existing_secret_file(name: str) -> str:
    try:
        return (DATA_DIR / name).read_text().strip()
    except FileNotFoundError:
        return ""


# Several nodes (PostgreSQL plus Redis): nothing shared is generated into one node's data dir; the
# shared secrets come from the environment, and `serve`/`worker` refuse to start without them
# (core/nodes.py, docs/scale-out.md). Other commands may still read a file left from single-node days.
CACHE_URL = env("CACHE_URL", "")
MULTI_NODE = _nodes.is_multi_node(database_url=env("DATABASE_URL", ""), queue_url=env("QUEUE_URL", ""),
                                  cache_url=CACHE_URL)
if MULTI_NODE:
    SECRET_KEY = env("SECRET_KEY") or _existing_secret_file("secret_key")
else:
    SECRET_KEY = env("SECRET_KEY") or _secret_from_file("secret_key")
# The tip line's codename pepper: 64 hex digits; empty = generated into DATA_DIR (single node only).
TIPLINE_PEPPER = env("TIPLINE_PEPPER", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)  # also decides whom gunicorn trusts (docs/install.md)
if BEHIND_PROXY:
    # Only trust the proxy's scheme header when the operator says a proxy sets it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "testigo.core",
    "testigo.reports",
    "testigo.geo",
    "testigo.public",
    "testigo.console",
    "testigo.api",
    "testigo.tipline",
    "testigo.channels",
    "testigo.surveys",
    "testigo.alerts",
    "testigo.stories",
    "testigo.webhooks",
    "testigo.demo",
]

MIDDLEWARE = [
    # Outermost: a public map move already answered by the whole stack below gets a copy of that
    # answer, headers and all, while the map's generation tokens are unchanged (issue #19).
    "testigo.api.mapcache.PublicMapCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one: sees the response after sessions, CSRF and the tip line set their cookies.
    "testigo.core.middleware.SecureCookiesOverHttpsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # Before sessions: a NUL in a cookie, path, query, form or JSON body is a 400, never a 500.
    "testigo.core.middleware.RefuseUnreadableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "testigo.core.language.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Once the view is known: an anonymous GET of a public page may read from a replica.
    "testigo.core.db.replicas.ReadReplicaMiddleware",
]

ROOT_URLCONF = "testigo.urls"
WSGI_APPLICATION = "testigo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "testigo.core.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'testigo.sqlite3'}")
# Persistent connections on every backend: opening SQLite per request costs ~15 ms (bench_inbound).
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite plus a write lock that hands over at once instead of SQLite's sleeping busy handler.
    _db["ENGINE"] = "testigo.core.db.sqlite"
    _db["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the busy
        # timeout instead of failing with "database is locked" on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA secure_delete=ON; PRAGMA busy_timeout=20000; "
            # SQLite's default page cache is 2 MB per connection: at 100,000 alert subscribers a
            # report's recipients (contacts looked up by key) went to the OS for most pages.
            f"PRAGMA cache_size=-{int(env('SQLITE_CACHE_MB', '64')) * 1024};"
        ),
    }
    # Tests use a file too: an in-memory database cannot be shared by concurrent threads.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
DATABASES = {"default": _db}
# Read replicas (PostgreSQL streaming standbys) for the public pages, API and map: "replica_1", …
# Only anonymous GETs of public pages read there; everything else uses the primary (core/db/replicas.py).
DATABASES |= _replica_settings(env("DATABASE_REPLICA_URLS", ""), _db, DATABASE_URL)
DATABASE_ROUTERS = ["testigo.core.db.replicas.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = float(env("REPLICA_MAX_LAG_SECONDS", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background jobs (Huey) -------------------------------------------------------------------
QUEUE_URL = env("QUEUE_URL", "")
if QUEUE_URL.startswith("redis://") or QUEUE_URL.startswith("rediss://"):
    # Periodic jobs fire once across worker hosts: each minute is claimed in Redis (core/periodic.py).
    HUEY = {"huey_class": "testigo.core.periodic.OncePerPeriodRedisHuey", "name": env("QUEUE_NAME", "testigo"),
            "url": QUEUE_URL,
            "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "testigo",
        "filename": QUEUE_URL.removeprefix("sqlite:///") or str(DATA_DIR / "queue.sqlite3"),
        "immediate": False,
    }
# --- Cache ------------------------------------------------------------------------------------
# With Redis (TESTIGO_CACHE_URL, else a Redis TESTIGO_QUEUE_URL) the cache is shared by every node;
# without it each process keeps its own (Django's default). Throttles and lockouts do not depend on
# it: they are counted in the database (core.LoginThrottle, tipline.TipThrottle, alerts.CodeThrottle).
_CACHE_REDIS = CACHE_URL if _nodes.is_redis(CACHE_URL) else (QUEUE_URL if _nodes.is_redis(QUEUE_URL) else "")
if _CACHE_REDIS:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_REDIS,
                          "KEY_PREFIX": env("QUEUE_NAME", "testigo")}}
HUEY["consumer"] = {"workers": int(env("WORKERS", "2")), "worker_type": "thread"}
if env_bool("QUEUE_IMMEDIATE", False):
    HUEY["immediate"] = True

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:inbox"
LOGOUT_REDIRECT_URL = "public:home"
LOGIN_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_MINUTES = int(env("LOGIN_LOCKOUT_MINUTES", "15"))

# --- Sessions, cookies, headers ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "testigo.public.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
# A page's address (a report's reference, a search) never reaches another site: cross-origin
# requests (map tiles, links out) carry no Referer. Our own forms keep their Origin and Referer, so
# Django's CSRF checks run unmodified (docs/decisions.md, "Same-origin referrers"). The tip line
# sends `no-referrer` on its own pages and checks its own token (tipline/middleware.py).
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# "none": no tile server at all; the maps draw the built-in outline map and the deployment's own
# tile sets (docs/map.md, "Basemaps"), and the CSP then names no tile origin.
TILE_URL = env("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png").strip()
if TILE_URL.lower() == "none":
    TILE_URL = ""
TILE_ATTRIBUTION = env("TILE_ATTRIBUTION", "© OpenStreetMap contributors")


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}".replace("://a.", "://*.") if parts.netloc else ""


_tile_origin = _origin(TILE_URL)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"] + ([_tile_origin] if _tile_origin else []),
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE", "es")
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "America/Tegucigalpa")
# One short and one long date format per language (testigo/formats/, shown via core/dates.py).
FORMAT_MODULE_PATH = ["testigo.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The project-wide static folder (site.css, vendored Leaflet) is not inside an app.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Files: the data directory, or one S3-compatible bucket shared by every node (TESTIGO_STORAGE_URL,
# docs/scale-out.md "Files on S3"). Aliases: default (media), tiles, tipline, backups, staticfiles.
# On disk, Django would write uploads 0644 unless told otherwise (PRIVATE_UMASK above explains why not).
from django.core.exceptions import ImproperlyConfigured  # noqa: E402  (kept beside its one use)

from testigo.core import storage_url as _storage_url  # noqa: E402

STORAGE_URL = env("STORAGE_URL", "")
try:
    STORAGES = _storage_url.storages(STORAGE_URL, staticfiles={
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("COLLECTED_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    })
except _storage_url.BadStorageURL as exc:
    raise ImproperlyConfigured(str(exc)) from None
WHITENOISE_USE_FINDERS = not env_bool("COLLECTED_STATIC", False)
MAX_UPLOAD_MB = int(env("MAX_UPLOAD_MB", "20"))
# Self-hosted MBTiles/PMTiles basemaps (console, Map layers): a country at street level is a few GB.
# A larger request is refused from its Content-Length, before any of it is read.
MAX_TILESET_MB = int(env("MAX_TILESET_MB", "4096"))
MAX_UPLOAD_FILES = int(env("MAX_UPLOAD_FILES", "5"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Staff uploads above this size are spooled to disk: under the data directory, never the
# system's temporary directory. Public uploads (report form, tip line) are never spooled at
# all: their views keep them in memory (testigo/core/uploads.py).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "upload-tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(mode=0o700, exist_ok=True)

# --- Domain settings -------------------------------------------------------------------------
SITE_NAME = env("SITE_NAME", "Testigo")
# The site's public address (https://host, no trailing slash), for the absolute links of Atom feeds
# and link previews (og:url, og:image). Empty: the address the request came to (docs/feeds.md).
SITE_URL = env("SITE_URL", "").strip().rstrip("/")
FUZZ_RADIUS_M = int(env("FUZZ_RADIUS_M", "500"))
DEFAULT_REGION = env("DEFAULT_REGION", "HN")
# The countries (ISO codes, comma-separated) whose GeoNames towns and areas form the gazetteer that
# finds places named in messages (docs/geo.md). Defaults to the phone numbers' region.
GAZETTEER_COUNTRIES = env("GAZETTEER_COUNTRIES", DEFAULT_REGION)
# Reports that arrive without a location are placed from the places their text names (on by default).
PLACES_FROM_TEXT = env_bool("PLACES_FROM_TEXT", True)
MAP_CENTER = [float(x) for x in env("MAP_CENTER", "14.6,-86.8").split(",")]
MAP_ZOOM = int(env("MAP_ZOOM", "7"))
# The site's Tor onion address (http://….onion), if it has one: the tip-line guide and the guides
# link block tell visitors to use it (docs/guides.md).
ONION_ADDRESS = env("ONION_ADDRESS", "").strip().rstrip("/")
# Where the "quick exit" control on every public page sends a visitor who must hide what they were
# reading (docs/help-services.md): a neutral page that looks like an ordinary search for the weather.
QUICK_EXIT_URL = env("QUICK_EXIT_URL", "https://www.google.com/search?q=clima")

# --- Messaging channels (docs/channels.md) -----------------------------------------------------
CONVERSATION_WINDOW_HOURS = float(env("CONVERSATION_WINDOW_HOURS", "24"))
CHANNEL_BASE_URL = env("CHANNEL_BASE_URL", "").rstrip("/")  # public https://host for webhook URLs
CHANNEL_MAX_ATTEMPTS = int(env("CHANNEL_MAX_ATTEMPTS", "6"))
CHANNEL_RETRY_BASE_SECONDS = float(env("CHANNEL_RETRY_BASE_SECONDS", "30"))
# Gateway addresses an admin types (Kannel, FrontlineSMS, SMPP, e-mail) may point at this machine or
# a private network only when the operator says so: otherwise the worker would fetch internal pages.
ALLOW_PRIVATE_GATEWAYS = env_bool("ALLOW_PRIVATE_GATEWAYS", False)
# Outgoing webhooks (docs/webhooks.md): seconds to wait for an answer; attempts per delivery;
# the first retry's delay in seconds (doubled each time); consecutive failed attempts after
# which a webhook is disabled (its pending deliveries wait until it is enabled again).
WEBHOOK_TIMEOUT = float(env("WEBHOOK_TIMEOUT", "10"))
WEBHOOK_ATTEMPTS = int(env("WEBHOOK_ATTEMPTS", "8"))
WEBHOOK_BACKOFF = int(env("WEBHOOK_BACKOFF", "30"))
WEBHOOK_DISABLE_AFTER = int(env("WEBHOOK_DISABLE_AFTER", "20"))
# Photos, voice notes, videos and documents people send through a channel: fetched by the worker
# up to this size each (Telegram's bots cannot fetch more than 20 MB; WhatsApp video is 16 MB).
CHANNEL_MEDIA_MAX_BYTES = int(float(env("CHANNEL_MEDIA_MAX_MB", "25")) * 1_000_000)
# Recordings people send are transcoded by ffmpeg up to these lengths (longer ones are cut and
# marked so); one ffmpeg or mat2 run is stopped after the timeout (docs/channels.md).
MEDIA_MAX_AUDIO_SECONDS = int(env("MEDIA_MAX_AUDIO_SECONDS", "1800"))
MEDIA_MAX_VIDEO_SECONDS = int(env("MEDIA_MAX_VIDEO_SECONDS", "900"))
MEDIA_TOOL_TIMEOUT_SECONDS = float(env("MEDIA_TOOL_TIMEOUT_SECONDS", "600"))
# Recordings and videos attached on the public form or in the console (reports/recordings.py):
# at most this many files of this size each. Public uploads are held in memory (core/uploads.py),
# so files x MB is the RAM one such request may take; a larger Content-Length is refused unread.
MEDIA_UPLOAD_MAX_MB = int(env("MEDIA_UPLOAD_MAX_MB", "100"))
MEDIA_UPLOAD_MAX_FILES = int(env("MEDIA_UPLOAD_MAX_FILES", "2"))
# Keep the original as sent (with its GPS and device tags) beside the clean copy, for staff who
# take evidence packages only, never public. Off by default: the clean copy and the original's
# sha256 are the evidence; the original is what would expose the reporter. A kept original is
# sealed to the tip-line key (tipline/sealing.py); with no tip-line key set up, none is kept.
MEDIA_KEEP_ORIGINALS = env_bool("MEDIA_KEEP_ORIGINALS", False)
# A public dashboard at /dashboard/ from published reports only (docs/dashboard.md); off by default.
PUBLIC_DASHBOARD = env_bool("PUBLIC_DASHBOARD", False)
# The embeddable map widget at /embed/map/ (docs/map.md, "Embedding the map"): the sites that may
# frame it, as origins separated by spaces or commas ("*": any site, the default); "none" turns the
# widget off. Every other page still refuses to be framed (X-Frame-Options DENY, frame-ancestors 'none').
EMBED_ORIGINS = env("EMBED_ORIGINS", "*").strip()
# A provider's API root, per channel type, when it is not the public one (a self-hosted Telegram
# Bot API server): {"telegram": "http://127.0.0.1:8081"}. Set from TESTIGO_CHANNEL_API_BASES (JSON).
CHANNEL_API_BASES = json.loads(env("CHANNEL_API_BASES", "{}") or "{}")

# --- Early warnings (docs/alerts.md) ----------------------------------------------------------
ALERT_COOLDOWN_MINUTES = int(env("ALERT_COOLDOWN_MINUTES", "60"))  # per subscriber and zone, automatic alerts
ALERT_MAX_UPLOAD_MB = int(env("ALERT_MAX_UPLOAD_MB", "10"))
ALERT_MAX_ZONES_PER_UPLOAD = int(env("ALERT_MAX_ZONES_PER_UPLOAD", "5000"))
ALERT_MAX_RADIUS_KM = int(env("ALERT_MAX_RADIUS_KM", "50"))
ALERT_CODE_TTL_MINUTES = int(env("ALERT_CODE_TTL_MINUTES", "30"))
ALERT_CODE_MAX_FAILURES = int(env("ALERT_CODE_MAX_FAILURES", "5"))
ALERT_CODE_LOCK_MINUTES = int(env("ALERT_CODE_LOCK_MINUTES", "15"))
ALERT_CODES_PER_HOUR = int(env("ALERT_CODES_PER_HOUR", "200"))  # confirmation codes sent, all addresses
ALERT_LINK_BASE = env("ALERT_LINK_BASE", "").rstrip("/")  # e.g. https://testigo.example.org (short links)
# Cost per SMS segment by channel name or type: "kannel=0.01,Twilio HN=0.05" (default 0).
ALERT_COSTS = {k.strip(): float(v) for k, _sep, v in (p.partition("=") for p in env("ALERT_COSTS", "").split(","))
               if k.strip() and v.strip()}
ALERT_CURRENCY = env("ALERT_CURRENCY", "USD")

# --- Duplicates and hotspots (docs/duplicates-and-hotspots.md) -----------------------------------
# Duplicate candidates (reports.duplicates): reports this many hours apart and this close count as
# the same area and time; a pair is proposed to staff at this score (0-1). Never merged automatically.
DUPLICATE_HOURS = int(env("DUPLICATE_HOURS", "12"))
DUPLICATE_RADIUS_M = int(env("DUPLICATE_RADIUS_M", "1000"))
DUPLICATE_MIN_SCORE = float(env("DUPLICATE_MIN_SCORE", "0.5"))
# Hotspots (reports.hotspots): reports per grid cell (side in metres) and category in the last
# HOURS against the previous BASELINE_DAYS; a cell is a hotspot at >= MIN_REPORTS with a Poisson
# p-value below MAX_P. Staff only.
HOTSPOT_CELL_M = int(env("HOTSPOT_CELL_M", "1000"))
HOTSPOT_HOURS = int(env("HOTSPOT_HOURS", "6"))
HOTSPOT_BASELINE_DAYS = int(env("HOTSPOT_BASELINE_DAYS", "28"))
HOTSPOT_MIN_REPORTS = int(env("HOTSPOT_MIN_REPORTS", "3"))
HOTSPOT_MAX_P = float(env("HOTSPOT_MAX_P", "0.001"))

# --- Surveys and OpenRosa (ODK Collect) -------------------------------------------------------
# Largest OpenRosa POST accepted (advertised in X-OpenRosa-Accept-Content-Length); larger -> 413.
OPENROSA_MAX_BODY_MB = int(env("OPENROSA_MAX_BODY_MB", "20"))
# HTTP Basic sends the password in clear text: only accepted over HTTPS unless this is set (tests, LAN demos).
OPENROSA_ALLOW_BASIC_OVER_HTTP = env_bool("OPENROSA_ALLOW_BASIC_OVER_HTTP", False)
SURVEY_IMPORT_MAX_MB = int(env("SURVEY_IMPORT_MAX_MB", "50"))
SURVEY_REJECTED_KEEP_BYTES = 1024 * 1024

# --- Logging: never write client addresses or user agents -------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_metadata": {"()": "testigo.core.logging.StripClientMetadata"}},
    "formatters": {"stamped": {"()": "testigo.core.logging.ZonedFormatter",
                               "format": "[%(asctime)s] %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["no_client_metadata"]},
        "worker": {"class": "logging.StreamHandler", "filters": ["no_client_metadata"], "formatter": "stamped"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    "loggers": {
        # django.request / django.server lines carry the request; the filter drops the request
        # object so no address or user agent can be rendered by any formatter.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # The job worker's lines: configured here so run_huey does not add its own unscrubbed
        # handler (it only does when "huey" has none), and not propagated so each prints once.
        "huey": {"handlers": ["worker"], "level": "INFO", "propagate": False},
    },
}
ADMINS: list = []

# --- Tip line (docs/tipline.md) ---------------------------------------------------------------
TIP_STORAGE_DIR = Path(env("TIP_STORAGE_DIR", str(DATA_DIR / "tipline")))
TIP_RETENTION_DAYS = int(env("TIP_RETENTION_DAYS", "90"))
TIP_MAX_MESSAGE_CHARS = int(env("TIP_MAX_MESSAGE_CHARS", "100000"))
TIP_MAX_FILE_MB = int(env("TIP_MAX_FILE_MB", str(MAX_UPLOAD_MB)))
TIP_MAX_FILES = int(env("TIP_MAX_FILES", str(MAX_UPLOAD_FILES)))
TIP_NEW_PER_HOUR = int(env("TIP_NEW_PER_HOUR", "60"))
TIP_LOGIN_FAILURES_PER_MINUTE = int(env("TIP_LOGIN_FAILURES_PER_MINUTE", "30"))
TIP_LOGIN_FAILURES_PER_CODENAME = int(env("TIP_LOGIN_FAILURES_PER_CODENAME", "10"))
TIP_SOURCE_SESSION_MINUTES = int(env("TIP_SOURCE_SESSION_MINUTES", "120"))
# Innermost, so it hardens every /tip/ response (CSRF failures and 404s included) and carries
# the staff `tipkey` cookie; see testigo/tipline/middleware.py.
MIDDLEWARE.append("testigo.tipline.middleware.TiplineMiddleware")

# --- Backups (docs/operations.md) -------------------------------------------------------------
# Scheduled backups run daily at BACKUP_HOUR (local time) when BACKUP_DIR is set, encrypted to
# BACKUP_PUBLIC_KEY (preferred: this server cannot read them) or to the passphrase in
# BACKUP_PASSPHRASE_FILE; the newest BACKUP_KEEP archives of this deployment are kept.
BACKUP_DIR = env("BACKUP_DIR", "")
BACKUP_KEEP = int(env("BACKUP_KEEP", "7"))
BACKUP_HOUR = int(env("BACKUP_HOUR", "2"))
BACKUP_PUBLIC_KEY = env("BACKUP_PUBLIC_KEY", "")
BACKUP_PASSPHRASE_FILE = env("BACKUP_PASSPHRASE_FILE", "")
