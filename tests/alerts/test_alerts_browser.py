"""The public sign-up page in a real browser: the map fills the point with JavaScript (under the
site's CSP), and the whole sign-up works with JavaScript off."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_clicking_the_map_fills_the_point_without_csp_errors(page, zones):  # noqa: F811
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "Content Security" in msg.text
            else None)
    page.goto("/alerts/")
    page.wait_for_selector("#point-map.leaflet-container")
    page.click("#point-map", position={"x": 150, "y": 100})
    assert page.input_value("#id_lat") and page.input_value("#id_lon")
    assert page.input_value("#id_radius_km") == "2"
    assert errors == []


def test_signup_works_without_javascript(nojs_page, zones, sms_channel):  # noqa: F811
    from testigo.alerts.models import Subscription

    nojs_page.goto("/alerts/")
    assert nojs_page.is_hidden("#point-map")
    nojs_page.fill("#id_address", "+504 9999 0001")
    nojs_page.fill("#id_zones", "centro historico")
    nojs_page.click("form.alerts-form button[type=submit]")
    nojs_page.wait_for_url("**/alerts/confirm/**")
    assert Subscription.objects.get().zones.get() == zones["centro"]
