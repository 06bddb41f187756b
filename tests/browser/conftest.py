"""Browser tests: Playwright (Python) driving Debian's Chromium against a live server.

They skip with a clear message when Chromium is absent, unless TESTIGO_REQUIRE_BROWSER=1
(set by .ci/run), in which case its absence is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("TESTIGO_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
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
