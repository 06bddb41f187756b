"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when the Makefile points
TESTIGO_DATABASE_URL at TESTIGO_TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import shutil

import hypothesis
import pytest
from django.contrib.auth import get_user_model

from testigo.core import roles

# --- Property tests (Hypothesis). The full suite (`make test`, CI) runs the "ci" profile: every
# property test with the example count its module gives. `make test-fast` sets
# TESTIGO_HYPOTHESIS_PROFILE=dev: a tenth of the examples (at least 5), for the inner loop.
HYPOTHESIS_PROFILE = os.environ.get("TESTIGO_HYPOTHESIS_PROFILE", "ci")
hypothesis.settings.register_profile("ci", hypothesis.settings(max_examples=100))
hypothesis.settings.register_profile("dev", hypothesis.settings(max_examples=10))
hypothesis.settings.load_profile(HYPOTHESIS_PROFILE)


def examples(ci: int) -> int:
    """A property test's max_examples: `ci` in the full suite, a tenth (at least 5) in the dev profile."""
    return ci if HYPOTHESIS_PROFILE == "ci" else min(ci, max(5, ci // 10))


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# Test users get a cheap password hash: production's Argon2 costs ~100 MiB and a noticeable
# fraction of a second per hash, paid on every test user and every login. Tests whose subject is
# password hashing carry @pytest.mark.real_hasher and keep the production list (testigo/settings.py),
# which tests/core/test_promise_staff_passwords_are_stored_with_argon2.py checks is Argon2 first.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hasher(request, settings):
    if request.node.get_closest_marker("real_hasher") is None:
        settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


# Tip-line codenames are hashed with SecureDrop's scrypt cost (16 MiB, tens of milliseconds, twice
# per tip or login); tests use a trivial cost. Tests marked @pytest.mark.real_kdf keep production's
# key-derivation costs (here and in tests/tipline/conftest.py) and check them.
@pytest.fixture(autouse=True)
def _cheap_codename_hash(request, monkeypatch):
    if request.node.get_closest_marker("real_kdf") is None:
        from testigo.tipline import codenames

        monkeypatch.setattr(codenames, "SCRYPT_N", 2**4)


# Two-factor login is required by default for administrators and tip-line staff; tests whose
# subject is something else log them in with a password only. Tests marked
# @pytest.mark.twofactor_defaults keep the production defaults (tests/console/test_promise_staff_*).
@pytest.fixture(autouse=True)
def _second_factor_optional(request, monkeypatch):
    if request.node.get_closest_marker("twofactor_defaults") is None:
        from testigo.core import twofactor

        monkeypatch.setattr(twofactor, "DEFAULT_REQUIRED", frozenset())


@pytest.fixture(autouse=True)
def _immediate_jobs():
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


@pytest.fixture(autouse=True)
def _no_map_points_from_another_test():
    """The public map's points held in memory (api/queries.py) belong to the test that loaded
    them: a previous test's, recently loaded, would have the next test answered by the counts
    (reloads are spaced), not from memory."""
    from testigo.api import queries

    queries._POINT_INDEXES.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_language(settings):
    """Each test starts in the deployment language; nothing a previous test activated leaks in."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def english(settings):
    """English: a deployment whose language is English (TESTIGO_LANGUAGE=en)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")


def speak_english(client):
    """What the language switch does: the visitor's choice kept in the language cookie."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def make_user(db):
    def make(role: str, username: str | None = None, password: str = "correct horse battery"):
        user = get_user_model().objects.create_user(username=username or f"{role}-user", password=password)
        roles.set_role(user, role)
        return get_user_model().objects.get(pk=user.pk)  # fresh: no stale permission cache

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user(roles.ADMIN)


@pytest.fixture
def moderator(make_user):
    return make_user(roles.MODERATOR)


@pytest.fixture
def category(db):
    from testigo.reports.models import Category

    parent = Category.objects.create(slug="delitos", name_es="Delitos", name_en="Crime")
    return Category.objects.create(slug="robo", name_es="Robo", name_en="Robbery", parent=parent)


@pytest.fixture
def report_factory(db, category):
    from testigo.reports import services

    def make(**kwargs):
        defaults = dict(title="Asalto en la parada", description="Dos hombres armados asaltaron el bus.",
                        lat=14.0723, lon=-87.1921, place_name="Colonia Kennedy, Tegucigalpa",
                        reporter_name="María", reporter_contact="+504 9999-0000", categories=[category])
        defaults.update(kwargs)
        return services.create_report(**defaults)

    return make


@pytest.fixture
def published_report(report_factory, admin_user):
    from testigo.reports import services

    report = report_factory()
    services.verify(report=report, actor=admin_user)
    return services.publish(report=report, actor=admin_user)


# --- Browser tests: Playwright (Python) driving Debian's Chromium against a live server. -------
# They skip with a clear message when Chromium is absent, unless TESTIGO_REQUIRE_BROWSER=1
# (set by .ci/run), in which case its absence is a failure. Defined here, once: a second
# definition of the session-scoped `browser` would start a second Playwright in the same loop.

CHROMIUM = os.environ.get("TESTIGO_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    # Every test that drives Chromium is a browser test, wherever it lives (the PostgreSQL pass
    # deselects them: they exercise the pages, not the database).
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("TESTIGO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TESTIGO_REQUIRE_BROWSER=1 but Chromium was not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser tests skipped")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh context (cookies isolated) with JavaScript enabled."""
    context = browser.new_context(locale="es-HN", base_url=live_server.url)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(browser, live_server):
    """A fresh context with JavaScript disabled, as in Tor Browser's "Safest" mode."""
    context = browser.new_context(java_script_enabled=False, locale="es-HN", base_url=live_server.url)
    yield context.new_page()
    context.close()
