"""Promise: two-factor login works in a browser with JavaScript off (Tor Browser "Safest"): an
administrator logs in with the password, is sent to set it up, scans (here: reads) the QR code's
key, confirms with a code, sees ten recovery codes once, and next time logs in with the password
and a code. Codes are computed from the key shown on the page, as an authenticator app would."""

from __future__ import annotations

import base64
import time

import pytest

from testigo.core import roles, twofactor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.twofactor_defaults]
PASSWORD = "correct horse battery"


def password_step(page, username: str) -> None:
    page.goto("/console/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/console/login/'] button[type=submit]")


def test_an_admin_sets_up_two_factor_login_and_logs_in_with_a_code_without_javascript(nojs_page, make_user):
    page = nojs_page
    make_user(roles.ADMIN, username="ana", password=PASSWORD)

    password_step(page, "ana")
    page.wait_for_url("**/console/2fa/set-up/")
    assert page.locator("figure.qr-code svg").is_visible()  # drawn by the server, no script
    typed = page.inner_text("#twofactor-secret").replace(" ", "")
    key = base64.b32decode(typed + "=" * (-len(typed) % 8))
    page.fill("input[name=code]", twofactor.totp(key))
    page.click("form[action='/console/2fa/set-up/'] button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    page.click("a.button.primary")
    page.wait_for_url("**/console/")

    page.context.clear_cookies()  # a new visit: password, then a code
    page.goto("/console/")
    assert "/console/login/" in page.url
    password_step(page, "ana")
    page.wait_for_url("**/console/login/code/")
    page.goto("/console/")  # not logged in until the code passes
    assert "/console/login/" in page.url
    page.goto("/console/login/code/")
    page.fill("input[name=code]", twofactor.totp(key, time.time() + 30))  # the next step: never reused
    page.click("form[action='/console/login/code/'] button[type=submit]")
    page.wait_for_url("**/console/")
    assert page.locator("nav.console-nav").is_visible()
