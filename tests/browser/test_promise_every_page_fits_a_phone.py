"""Every console and public page fits a phone (390 × 844): nothing scrolls sideways (wide tables
scroll inside their own box) and the console menu leaves the page's own content on the first
screen. The maps (public, console, zones) are checked by their own tests."""

from __future__ import annotations

import json

import pytest

from testigo.core import roles

PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"
# The top of the page's heading must be in the upper part of the first screen: a menu may take a
# line or two, not the whole screen.
HEADING_WITHIN = 0.4

LAYER = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Posta policial Centro"},
     "geometry": {"type": "Point", "coordinates": [-87.2068, 14.1058]}}]}
CSV = ("fecha,titulo,descripcion,lugar,latitud,longitud\n"
       "2026-11-02,Asalto en bus,Dos hombres asaltaron a los pasajeros de la ruta 7 que va al centro de la ciudad,"
       "Colonia Kennedy,14.0723,-87.1921\n"
       "2026-11-05,Sin lugar,Fila con coordenadas al reves y una descripción bastante larga,Choluteca,-87.19,14.07\n")


@pytest.fixture
def objects(transactional_db, make_user, report_factory) -> dict:
    """What the pages show: a report, an alert, a channel, imports, a survey, a layer, a token."""
    from testigo.alerts import services as alert_services
    from testigo.alerts import zones
    from testigo.api import services as api_services
    from testigo.channels import services as channel_services
    from testigo.geo import services as geo_services
    from testigo.surveys import importing, presets
    from testigo.surveys import services as survey_services

    admin = make_user(roles.ADMIN, username="admin", password=PASSWORD)
    from testigo.reports import services as report_services

    report = report_factory(title="Asalto en la parada de buses de la Colonia Kennedy, frente al mercado")
    report = report_services.publish(report=report_services.verify(report=report, actor=admin), actor=admin)
    survey = survey_services.create_survey(
        actor=admin, name_es="Robos y asaltos", name_en="Robberies", form_id="robos",
        fields=[{"name": "armas", "type": "select_one", "label": {"es": "¿Había armas?", "en": "Weapons?"},
                 "choices": [{"name": "si", "label": {"es": "Sí", "en": "Yes"}},
                             {"name": "no", "label": {"es": "No", "en": "No"}}]}])
    draft = importing.create_import(actor=admin, name="reportes-noviembre-de-la-alcaldia.csv", data=CSV.encode())
    done = importing.create_import(actor=admin, name="reportes-octubre.csv", data=CSV.encode())
    importing.set_mapping(actor=admin, imp=done, mapping_json=presets.guess(importing.header_of(done)))
    importing.start(actor=admin, imp=done)
    zone = zones.create_zone(actor=admin, name_es="Colonia Kennedy", name_en="Colonia Kennedy",
                             lat=14.0723, lon=-87.1921, radius_m=1500)
    alert = alert_services.create_broadcast(
        actor=admin, zone_ids=[zone.pk],
        message_es="Corte de agua en la Colonia Kennedy mañana de 8 a 14 h. Guarde agua hoy.",
        message_en="Water cut in Colonia Kennedy tomorrow from 8 am to 2 pm. Store water today.")
    channel = channel_services.add_channel(actor=admin, type_code="smssync", name="SMS Tegucigalpa")
    geo_services.create_layer(actor=admin, name_es="Postas policiales", name_en="Police stations",
                              filename="postas.geojson", data=json.dumps(LAYER).encode())
    api_services.create_token(user=admin, name="Tablero de la alcaldía", scope="read", actor=admin)
    from testigo.stories import services as story_services

    story = story_services.save_story(actor=admin, data=story_services.StoryInput(
        texts={"title_es": "Extorsión a conductores de bus en Comayagüela, 2026", "summary_es": "Un patrón.",
               "body_es": f"## Los hechos\n\n> Una cita larga de un conductor de la ruta.\n\n[[report:{report.reference}]]"},
        references=[report.reference]))
    story = story_services.set_status(actor=admin, story=story, status="published")
    return {"story": story.slug, "story_id": story.pk, "report": report.reference, "survey": survey.pk, "import": draft.pk, "import_done": done.pk,
            "alert": alert.pk, "channel": channel.pk, "category": report.categories.first().pk}


CONSOLE_PAGES = [
    "/console/", "/console/r/{report}/", "/console/alerts/", "/console/alerts/{alert}/", "/console/audit/",
    "/console/messages/channels/", "/console/messages/channels/{channel}/", "/console/surveys/",
    "/console/surveys/{survey}/", "/console/surveys/imports/", "/console/surveys/imports/{import}/",
    "/console/surveys/imports/{import_done}/progress/", "/console/layers/", "/console/places/", "/console/tokens/", "/console/users/",
    "/console/categories/", "/console/categories/new/", "/console/categories/{category}/", "/console/password/",
    "/console/surveys/new/", "/console/surveys/upload/", "/console/surveys/devices/", "/console/surveys/rejected/",
    "/console/surveys/{survey}/data/", "/console/surveys/{survey}/fields/new/", "/console/alerts/broadcast/",
    "/console/alerts/rules/", "/console/tips/setup/", "/console/2fa/", "/console/2fa/set-up/", "/console/2fa/settings/",
    "/console/guides/", "/console/guides/account-security/", "/console/guides/sms/edit/",
    "/console/stories/", "/console/stories/new/", "/console/stories/{story_id}/",
    "/console/dashboard/", "/console/situation-report/", "/console/hotspots/", "/console/backups/",
    "/console/retention/", "/console/help-services/", "/console/webhooks/", "/console/tilesets/",
    "/console/evidence/",
]
PUBLIC_PAGES = ["/api/v1/docs", "/reports/", "/r/{report}/", "/report/", "/alerts/", "/console/login/", "/tip/",
                "/tip/login/", "/guides/", "/guides/tip-line/", "/guides/photos-and-metadata/",
                "/stories/", "/stories/{story}/"]

MEASURE = """() => {
  const heading = document.querySelector('main h1') || document.querySelector('main') || document.querySelector('h1');
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
          heading: heading.getBoundingClientRect().top + window.scrollY};
}"""


def _misfits(page, paths: list[str], objects: dict) -> list[str]:
    found = []
    for path in paths:
        address = path.format(**objects)
        response = page.goto(address)
        assert response.ok, f"{address}: {response.status}"
        seen = page.evaluate(MEASURE)
        # A phone browser widens its layout to fit a too wide page: compare with the phone's width.
        if seen["scroll"] > PHONE["width"] or seen["inner"] > PHONE["width"]:
            found.append(f"{address}: {seen['scroll']} px wide on a {PHONE['width']} px phone")
        if seen["heading"] > HEADING_WITHIN * PHONE["height"]:
            found.append(f"{address}: the page's heading starts {seen['heading']:.0f} px down")
    return found


@pytest.fixture
def admin_client_page(browser, live_server, objects):
    """A phone logged in to the console as the administrator."""
    context = browser.new_context(locale="es-HN", base_url=live_server.url, viewport=PHONE,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/console/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")
    yield page
    context.close()


def test_every_console_page_fits_a_phone(admin_client_page, objects):
    misfits = _misfits(admin_client_page, CONSOLE_PAGES, objects)
    assert not misfits, "\n".join(misfits)


def test_a_colour_input_is_a_swatch_not_a_line(admin_client_page):
    """The generic "inputs fill the line" rules must not squash a colour picker into a thin line."""
    for path in ["/console/categories/new/", "/console/layers/"]:
        admin_client_page.goto(path)
        box = admin_client_page.locator("input[type=color]").bounding_box()
        assert box["height"] >= 28 and 40 <= box["width"] <= 120, (path, box)


def test_every_public_page_fits_a_phone(browser, live_server, objects):
    context = browser.new_context(locale="es-HN", base_url=live_server.url, viewport=PHONE,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        assert not (misfits := _misfits(page, PUBLIC_PAGES, objects)), "\n".join(misfits)
    finally:
        context.close()


def test_the_console_menu_scrolls_sideways_on_a_phone_without_javascript(browser, live_server, objects):
    context = browser.new_context(locale="es-HN", base_url=live_server.url, viewport=PHONE,
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/console/login/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/console/")
        # The menu is one line that scrolls sideways: its last links are reached without JavaScript.
        nav = page.locator(".console-nav")
        assert nav.evaluate("n => n.scrollWidth > n.clientWidth && getComputedStyle(n).overflowX == 'auto'")
        page.locator(".console-nav a[href='/console/users/']").click()
        page.wait_for_url("**/console/users/")
    finally:
        context.close()


def test_the_import_progress_bar_spans_the_page(admin_client_page, objects):
    admin_client_page.goto("/console/surveys/imports/{import_done}/progress/".format(**objects))
    bar, main = (admin_client_page.locator(s).bounding_box() for s in ("main progress", "main"))
    assert bar["width"] >= 0.85 * main["width"], (bar, main)
