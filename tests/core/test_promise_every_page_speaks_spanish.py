"""Promise: in a Spanish deployment every page — console and public — speaks Spanish. No raw code
(report.published, occurred_at, "from": …), no untranslated English label (Save, Status, Secret,
Bot token…) and no source code as a bare table cell ("web", "sms") is ever shown as text. Every
page answers 200 for an administrator, in Spanish and in English, and a form sent empty comes
back with its errors in Spanish, never a 500.

Every URL pattern of the project is listed below, as a page to read, a POST-only action (a GET
must answer 405, never 500) or a skip with its reason (files, JSON, XML, webhooks). A new pattern
that is in none of these lists fails the first test: decide what it is and list it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nacl.pwhash
import pytest
from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from testigo.core import roles
from testigo.core.guides import CATALOGUE as GUIDES

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"

# Shown as text only when a string escaped translation or a raw value escaped its label.
RAW_FRAGMENTS = ["report.published", "report.in_review", "report.verified", "report.created", "auth.user",
                 "reports.report", '"from":', "occurred_at", "place_name", "admin1", "latlon", "external_id",
                 "%d/%m/%Y", "in_review", "SMSSync (Android phone)", "Bot token", "Account SID",
                 "IMAP over TLS", "ALERT Centro", "Send STOP", "Log out", "Sign in", "No reports",
                 "Not found", "This field is required"]
# English words that never appear in Spanish text (each checked: no Spanish word is spelt so),
# matched as whole words with their capital, as labels and buttons are written ("and" is left out:
# it is the XLSForm operator in constraint examples).
ENGLISH_WORDS = ["Save", "Cancel", "Delete", "Search", "Status", "Category", "Categories", "Published",
                 "Reports", "Submit", "Secret", "Edit", "Inbox", "Settings", "Password", "Username",
                 "Received", "Source", "Place", "Filter", "Apply", "Previous", "Next", "Unknown", "Language",
                 "Messages", "Reply", "Send", "Users", "Photos", "Notes", "Layers", "Surveys",
                 "Devices", "Alerts", "Zones", "Rules", "Channels", "Title", "Description", "Name",
                 "Add", "Remove", "Close", "Back", "Yes", "None", "True", "False", "Enabled", "Disabled",
                 "Active", "Inactive", "Verified", "Rejected", "Archived", "Draft", "Sent", "Role",
                 "Audit", "History", "Merge", "Upload", "Download", "Import", "Export", "Map", "Help",
                 "Survey", "Device", "Alert", "Zone", "Rule", "Channel", "Report", "Tip", "Tips",
                 "Phone", "Address", "Contact", "Question", "Questions", "Answer", "Answers", "Required",
                 "Optional", "Choose", "Select", "Date", "Time", "Today", "Yesterday", "ago", "minutes",
                 "hours", "days", "Show", "Hide", "Public", "Private", "Approve", "Discard", "Preview",
                 "Welcome", "Thank", "Thanks", "Please", "Your", "You", "The", "This", "with",
                 "the", "of", "to", "for"]
# Names of buttons and menus in other products, quoted as the admin will see them there (FrontlineSMS
# has no Spanish interface): in «…», they are not ours to translate.
OTHER_PRODUCTS_WORDS = ["Send SMS from a web service", "Forward to URL", "SMS Gateway for Android",
                        "Settings › Webhooks › Signing Key"]
# Stored codes (sources, statuses, visibilities, sending states, languages): wrong as a whole text
# node, as in a table cell showing the raw value.
BARE_CODES = ["web", "sms", "email", "tipline", "odk", "api", "new", "in_review", "verified", "published",
              "rejected", "archived", "public", "restricted", "confidential", "draft", "sent", "queued",
              "failed", "delivered", "es", "en"]

# Pages: url name -> a function of the seeded world giving the keyword arguments of each URL to read.
ONE = [{}]
PAGES = {
    "channels_console:channel_list": lambda w: ONE,
    "channels_console:channel_edit": lambda w: [{"pk": c.pk} for c in w["channels"]],
    "tipline:submit": lambda w: ONE,
    "tipline:login": lambda w: ONE,
    "tipconsole:list": lambda w: ONE,
    "tipconsole:unlock": lambda w: ONE,
    "tipconsole:access": lambda w: ONE,
    "tipconsole:rotate": lambda w: ONE,
    "tipconsole:recover": lambda w: ONE,
    "tipconsole:tip": lambda w: [{"tip_id": w["tip"].pk}],
    "surveys:list": lambda w: ONE,
    "surveys:new": lambda w: ONE,
    "surveys:upload": lambda w: ONE,
    "surveys:devices": lambda w: ONE,
    "surveys:rejected": lambda w: ONE,
    "surveys:imports": lambda w: ONE,
    "surveys:import_mapping": lambda w: [{"pk": w["import"].pk}],
    "surveys:import_progress": lambda w: [{"pk": w["import"].pk}],
    "surveys:edit": lambda w: [{"pk": w["survey"].pk}, {"pk": w["xlsform_survey"].pk}],
    "surveys:data": lambda w: [{"pk": w["survey"].pk}, {"pk": w["xlsform_survey"].pk}],
    "surveys:submission": lambda w: [{"pk": w["xlsform_survey"].pk, "submission_pk": w["submission"].pk}],
    "surveys:encryption": lambda w: [{"pk": w["survey"].pk}],
    "surveys:field_new": lambda w: [{"pk": w["survey"].pk}],
    "surveys:field_edit": lambda w: [{"pk": w["survey"].pk, "index": i} for i in range(len(w["survey"].fields))],
    "alerts_console:list": lambda w: ONE,
    "alerts_console:detail": lambda w: [{"pk": a.pk} for a in w["alerts"]],
    "alerts_console:broadcast": lambda w: ONE,
    "alerts_console:zones": lambda w: ONE,
    "alerts_console:rules": lambda w: ONE,
    "console:inbox": lambda w: [{}, {"query": "status=published&source=sms&q=robo"}],
    "console:password": lambda w: ONE,
    "console:report": lambda w: [{"reference": r.reference} for r in w["reports"]],
    "console:categories": lambda w: ONE,
    "console:category_new": lambda w: ONE,
    "console:category_edit": lambda w: [{"category_id": w["category"].pk}],
    "console:help_services": lambda w: ONE,
    "console:help_service_new": lambda w: ONE,
    "console:help_service_edit": lambda w: [{"service_id": w["help_service"].pk}],
    "console:users": lambda w: ONE,
    "console:audit": lambda w: [{}, {"query": "action=report.published"}],
    "console:dashboard": lambda w: [{}, {"query": "source=sms&interval=week"}],
    "console:situation_report": lambda w: [{}, {"query": "lang=es&area=Cort%C3%A9s"}],
    "console:backups": lambda w: ONE,
    "console:evidence": lambda w: [{}, {"query": "&".join(f"ref={r.reference}" for r in w["reports"][:2])}],
    "console:retention": lambda w: ONE,
    "console:retention_new": lambda w: ONE,
    "console:retention_edit": lambda w: [{"policy_id": w["retention_policy"].pk}],
    "console:retention_preview": lambda w: [{"policy_id": w["retention_policy"].pk}],
    "console:twofactor": lambda w: ONE,
    "console:twofactor_enrol": lambda w: ONE,
    "console:twofactor_settings": lambda w: ONE,
    "console:map": lambda w: [{}, {"query": "status=new&category=1"}],
    "console:layers": lambda w: ONE,
    "console:tilesets": lambda w: ONE,
    "console:tileset_edit": lambda w: [{"tileset_id": w["overlay"].pk}],
    "console:places": lambda w: ONE,
    "console:hotspots": lambda w: ONE,
    "channels_console:simulate": lambda w: [{"pk": c.pk} for c in w["channels"] if c.type == "smssync"],
    "channels_console:templates": lambda w: [{"pk": c.pk} for c in w["channels"] if c.message_templates.exists()],
    "channels_console:template_edit": lambda w: [{"pk": c.pk, "template_pk": t.pk} for c in w["channels"]
                                                 for t in c.message_templates.all()],
    "api_console:tokens": lambda w: ONE,
    "webhooks_console:list": lambda w: ONE,
    "webhooks_console:detail": lambda w: [{"pk": w["webhook"].pk}],
    "api:docs": lambda w: ONE,
    "alerts:subscribe": lambda w: ONE,
    "alerts:confirm": lambda w: [{"token": w["confirm_token"]}],
    "public:home": lambda w: ONE,
    "public:report_new": lambda w: ONE,
    "public:report_list": lambda w: [{}, {"query": "q=robo&date_from=2026-01-01"}],
    "public:report_detail": lambda w: [{"reference": w["published"].reference}],
    "public:guides": lambda w: ONE,
    "public:guide": lambda w: [{"slug": slug} for slug, who in GUIDES if who == "citizen"],
    "console:guides": lambda w: ONE,
    "console:guide": lambda w: [{"slug": slug} for slug, _who in GUIDES],
    "console:guide_edit": lambda w: [{"slug": "sms"}, {"slug": "account-security"}],
    "public:help_services": lambda w: ONE,
    "public:embed_builder": lambda w: [{}, {"query": "days=30&height=600"}],
    "public:embed_map": lambda w: [{}, {"query": "days=30"}],
    "stories:index": lambda w: ONE,
    "stories:story": lambda w: [{"slug": w["story"].slug}],
    "stories_console:list": lambda w: ONE,
    "stories_console:new": lambda w: ONE,
    "stories_console:edit": lambda w: [{"pk": w["story"].pk}, {"pk": w["draft_story"].pk}],
}
# Pages that only make sense in a visitor's own state; read by each visitor in that state.
STATEFUL = {
    "tipline:sent": "shows a new codename once, right after a tip is sent",
    "tipline:conversation": "a tipster's conversation, once logged in with the codename",
    "tipline:logout": "the tipster's log-out page",
    "tipconsole:setup": "shown only until the tip line is set up (read before setting it up)",
    "console:login": "the staff login page, for a visitor not logged in",
    "console:twofactor_code": "the code step, for someone half-way through logging in",
    "public:report_thanks": "shown once, right after a report is sent",
}
# Anonymous visitors read these (and the stateful public pages).
PUBLIC = ["tipline:submit", "tipline:login", "alerts:subscribe", "alerts:confirm", "public:home",
          "public:report_new", "public:report_list", "public:report_detail", "public:guides", "public:guide",
          "public:help_services", "public:embed_builder", "public:embed_map", "stories:index", "stories:story"]
# POST-only actions: the page a browser sees is where they redirect, read above.
ACTIONS = {
    "channels_console:reply", "tipconsole:revoke", "tipconsole:rotate_continue", "tipconsole:keep_originals", "tipconsole:reply",
    "tipconsole:keep", "tipconsole:to_report", "surveys:device_revoke", "surveys:import_run",
    "surveys:media_upload", "surveys:media_remove", "surveys:field_move", "surveys:field_remove",
    "alerts_console:action", "alerts_console:zone_delete", "console:inbox_bulk", "console:logout",
    "console:report_edit", "console:report_note", "console:report_status", "console:report_merge",
    "console:duplicate_merge", "console:duplicate_dismiss", "console:report_unmerge",
    "console:report_redact", "console:media_public", "console:inbound_media_retry", "console:user_role",
    "console:user_active", "console:twofactor_recovery_codes", "console:twofactor_disable",
    "console:twofactor_reset", "console:report_evidence",
    "console:layer_toggle", "console:layer_delete", "api_console:token_revoke", "console:guide_restore",
    "console:retention_apply", "console:retention_delete", "console:report_recordings",
    "stories_console:status", "stories_console:evidence",
    "console:tileset_toggle", "console:tileset_delete", "console:tileset_aerial",
    "console:places_delete_source", "console:place_accept", "console:place_dismiss",
    "console:admin_areas_upload", "console:admin_areas_delete",
    "webhooks_console:action", "webhooks_console:replay",
}
ODK = "OpenRosa XML for ODK Collect, not a page"
SKIPPED = {
    "set_language": "the language switch: sets a cookie and redirects, no page of its own",
    "channels:webhook": "gateway webhook (machine to machine)",
    "channels:webhook_action": "gateway webhook (machine to machine)",
    "tipline:challenge": "JSON proof-of-work challenge for the tip form's script",
    "tipline:exit": "the tip pages' quick exit: a redirect to the neutral site, no page of its own",
    "tipconsole:file": "a tip's attached file (download)",
    "surveys:rejected_body": "the raw bytes of a refused submission, as text/plain",
    "console:hotspots_geojson": "the staff map's hotspot layer (GeoJSON)",
    "surveys:import_rejected": "CSV download of rejected rows",
    "surveys:version_file": "a published version's XLSForm (download)",
    "surveys:submission_xml": "a submission's XML as received (download)",
    "console:media": "a report's photo (image)",
    "console:dashboard_csv": "one dashboard table as CSV (download)",
    "console:situation_report_pdf": "the situation report page printed to PDF (download); its HTML is console:situation_report",
    "public:dashboard": "off by default (a 404); its Spanish is checked in tests/public/test_promise_the_public_dashboard_*",
    "public:public_media": "a public photo (image)",
    "console:media_poster": "a video's still frame (image)",
    "console:media_original": "a recording's original as sent (download)",
    "public:public_media_poster": "a public video's still frame (image)",
    "public:favicon": "the icon (image)",
    "public:tile": "a map tile of a self-hosted basemap (image)",
    "public:feed_reports": "an Atom feed (XML for feed readers), tested in tests/public",
    "public:feed_category": "an Atom feed (XML for feed readers), tested in tests/public",
    "public:feed_zone": "an Atom feed (XML for feed readers), tested in tests/public",
    "alerts_console:zone_shapes": "the zones' outlines as GeoJSON for the zones map's script",
    "stories:feed": "an Atom feed (XML for feed readers), tested in tests/stories",
    "console:places_search": "JSON for the report editor's place search, tested in tests/geo",
    "console:inbox_export": "the inbox as a file (CSV, XLSX, GeoJSON, KML, HXL), tested in tests/console",
    **{f"odk:{prefix}{name}": ODK for prefix in ("", "basic_")
       for name in ("form_list", "form_xml", "manifest", "media_file", "submission")},
}
API_PREFIX = "api:v1:"  # the JSON API (its own language negotiation, tested in tests/api)


def all_patterns(patterns=None, namespace=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes, the labels of buttons, placeholders and image
    descriptions; not scripts, styles, templates, tooltips (which may keep raw codes for admins on
    purpose), nor values: of inputs and textareas (what someone typed) and of <code>/<kbd>
    (literal syntax: an XLSForm expression, a header, a keyword to send). An element marked as
    another language (lang="en": the English text of an alert) is that language's text."""

    SKIP = {"script", "style", "template", "code", "kbd", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skipped_tag = ""  # the element being skipped, and how deep in it we are
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._skipped_tag:
            self._depth += tag == self._skipped_tag
            return
        if tag in self.SKIP or (tag != "html" and attrs.get("lang") and not attrs["lang"].startswith("es")):
            self._skipped_tag, self._depth = tag, 1
            return
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.nodes.append(attrs["value"])
        for name in ("placeholder", "alt"):
            if attrs.get(name):
                self.nodes.append(attrs[name])

    def handle_endtag(self, tag):
        if tag == self._skipped_tag:
            self._depth -= 1
            if not self._depth:
                self._skipped_tag = ""

    def handle_data(self, data):
        if not self._skipped_tag and data.strip():
            self.nodes.append(" ".join(data.split()))


def english_found(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(parser.nodes)
    for name in OTHER_PRODUCTS_WORDS:
        text = text.replace(f"«{name}»", "«…»")
    text = re.sub(r"\{\{\w+\}\}", "{{…}}", text)  # template placeholders ({{to}}) are code, not words
    found = [f"{f!r}" for f in RAW_FRAGMENTS if f in text]
    found += [f"{w!r} in …{m.string[max(0, m.start() - 40):m.end() + 40]}…"
              for w in ENGLISH_WORDS for m in [re.search(rf"(?<![\w/.-]){re.escape(w)}(?![\w/.-])", text)] if m]
    found += [f"bare code {node!r}" for node in parser.nodes if node in BARE_CODES]
    return found


# --- the seeded world ------------------------------------------------------------------------

@pytest.fixture
def world(settings, tmp_path, monkeypatch, make_user, report_factory, category, png_bytes_small):
    from testigo.alerts import services as alert_services
    from testigo.alerts import zones
    from testigo.alerts.models import Subscription
    from testigo.alerts.views import SALT
    from testigo.api import services as token_services
    from testigo.channels import services as channel_services
    from testigo.channels.models import Contact, InboundMessage
    from testigo.channels.types import all_types
    from testigo.core import services as core_services
    from testigo.geo.models import Layer
    from testigo.reports import photos, services
    from testigo.reports.media import sanitise_image
    from testigo.surveys import importing
    from testigo.surveys import services as survey_services
    from testigo.surveys.models import RejectedInput
    from testigo.tipline import crypto, vault
    from testigo.tipline import services as tipline_services
    from testigo.tipline.models import Tip

    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.TIP_STORAGE_DIR = tmp_path / "data" / "tipline"
    settings.ALLOW_PRIVATE_GATEWAYS = True
    monkeypatch.setattr(crypto, "ARGON2_OPSLIMIT", nacl.pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(crypto, "ARGON2_MEMLIMIT", nacl.pwhash.argon2id.MEMLIMIT_MIN)

    admin = make_user(roles.ADMIN, username="ana", password=PASSWORD)
    colleague = make_user(roles.MODERATOR, username="luis")
    web = report_factory(title="Asalto en la parada", source="web")
    photos.add_media(report=web, clean=sanitise_image(name="foto.png", data=png_bytes_small))
    services.add_note(report=web, actor=admin, text="Confirmado con la policía.")
    services.redact(report=web, actor=admin, phrases=["María"])
    services.reject(report=report_factory(title="Repetido"), actor=admin)
    services.change_status(report=web, actor=admin, status="in_review")
    published = services.publish(report=services.verify(report=report_factory(title="Robo en el mercado"),
                                                        actor=admin), actor=admin)
    unlocated = services.publish(report=services.verify(report=report_factory(title="Sin lugar", lat=None, lon=None),
                                                        actor=admin), actor=admin)
    services.update_report(report=unlocated, actor=roles.SYSTEM, place_suggestions=[{  # the text's suggestion
        "name": "Colonia Kennedy", "label": "Colonia Kennedy, Tegucigalpa", "kind": "colonia", "lat": 14.06,
        "lon": -87.18, "parent": "Tegucigalpa", "admin1": "Francisco Morazan", "country": "HN",
        "precision_m": 1000, "confidence": 0.6, "matched": "col kennedy"}])
    channels = [channel_services.add_channel(actor=roles.SYSTEM, type_code=code, name=f"Canal {i}",
                                             config=sample_config(code), rate_per_second=1.0)
                for i, code in enumerate(sorted(all_types()))]
    from testigo.channels import wa_templates

    for channel in channels:
        if getattr(all_types()[channel.type], "templates", False):
            wa_templates.save_template(actor=roles.SYSTEM, channel=channel, name="alerta_vecinal", language="es",
                                       purpose="alert", body="Alerta para {{1}}: {{2}}")
    sms = report_factory(title="Robo por SMS", source="sms")
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    InboundMessage.objects.create(channel=channels[0], provider_id="m1", contact=contact, text="robo en el centro",
                                  received_at=timezone.now(), report=sms)
    tipline_report = report_factory(title="Desde el buzón", source="tipline")
    odk_report = report_factory(title="Desde el formulario", source="odk")

    zone = zones.create_zone(actor=admin, name_es="Centro", lat=14.07, lon=-87.19, radius_m=1000)
    rule = alert_services.save_rule(actor=admin, name="Robos en el centro", category=category, min_reports=3,
                             radius_m=500, hours=24)
    broadcast = alert_services.create_broadcast(actor=admin, message_es="Evite la zona", zone_ids=[zone.pk])
    report_alert = alert_services.alert_for_published_report(report_id=published.pk)
    subscription = Subscription.objects.create(contact=contact, language="es")

    survey = survey_services.create_survey(actor=admin, name_es="Robos", fields=SURVEY_FIELDS, form_id="robos",
                                           category=category)
    device, _raw = survey_services.add_device(actor=admin, name="Tableta 1")
    xlsform_survey, submission = xlsform_survey_with_submission(admin, device)
    RejectedInput.objects.create(source="odk", reason="XML ilegible", survey=survey, device=device, body=b"<x")
    csv_data = ("Fecha,Lugar,Depto,Coordenadas,ID\n01/02/2026,Centro,Cortés,\"14.1, -87.2\",A1\n"
                "99/99/2026,Centro,Cortés,,A2\n").encode()
    imp = importing.create_import(actor=admin, name="p.csv", data=csv_data)
    importer = Client()
    importer.force_login(admin)
    mapping = {"col_0": "occurred_at", "col_1": "place_name", "col_2": "admin1", "col_3": "latlon",
               "col_4": "external_id", "survey": "", "date_format": "", "date_order": "dmy",
               "unknown_categories": "reject",
               "action": "run"}
    assert importer.post(reverse("surveys:import_mapping", kwargs={"pk": imp.pk}), mapping).status_code == 302
    survey_services.enable_encryption(actor=admin, survey=survey_services.create_survey(
        actor=admin, name_es="Cifrada", fields=SURVEY_FIELDS, form_id="cifrada"), passphrase="una frase muy larga")
    answered = report_factory(title="Con respuestas", custom_values={"armas": "si", "personas": 3})
    services.merge(duplicate=report_factory(title="Duplicado"), into=answered, actor=admin)
    core_services.set_active(actor=admin, user=colleague, is_active=False)
    rule_alert = alert_services.rule_alert(rule=rule, lat=14.07, lon=-87.19, count=3, radius_m=500)
    Layer.objects.create(name_es="Ríos", name_en="Rivers", geojson={"type": "FeatureCollection", "features": []})
    token_services.create_token(user=admin, name="Tablero", scope="read", actor=admin)
    from testigo.reports.models import HelpService

    help_service = HelpService.objects.create(name="Casa Esperanza", kind="shelter", phone="+504 2222-1111",
                                              address="Col. Kennedy", hours="24 h", lat=14.08, lon=-87.2)

    from testigo.stories import services as story_services

    story = story_services.save_story(actor=admin, data=story_services.StoryInput(
        texts={"title_es": "Extorsión a conductores", "summary_es": "Un patrón.", "body_es": "## Hechos\n\n> Cita",
               "title_en": "", "summary_en": "", "body_en": ""},
        tags=[category], references=[published.reference], redactions=["María"]))
    story = story_services.set_status(actor=admin, story=story, status="published")
    draft_story = story_services.save_story(actor=admin, data=story_services.StoryInput(
        texts={"title_es": "Borrador", "body_es": "Texto"}))

    vault.initialise(user=admin, password=PASSWORD)
    tipline_services.submit_tip(body="Vi un soborno en el mercado.", files=[], language="es")
    webhook = _webhook(admin)

    return {"webhook": webhook, "admin": admin, "colleague": colleague, "category": category, "channels": channels,
            "help_service": help_service,
            "reports": [web, published, unlocated, sms, tipline_report, odk_report, answered], "published": published,
            "alerts": [a for a in (broadcast, report_alert, rule_alert) if a is not None], "survey": survey, "import": imp,
            "xlsform_survey": xlsform_survey, "submission": submission,
            "confirm_token": signing.dumps(subscription.pk, salt=SALT), "tip": Tip.objects.get(),
            "retention_policy": _retention_policy(admin), "story": story, "draft_story": draft_story,
            "overlay": _overlay()}


def _overlay():
    from testigo.geo.models import Tileset

    return Tileset.objects.create(name_es="Cometa", name_en="Kite", kind="mbtiles", tile_format="png", role="overlay")


def _webhook(admin):
    """A webhook (disabled after failures, so its warning shows) with a delivery in each state."""
    from testigo.webhooks import services as webhook_services
    from testigo.webhooks.models import Delivery

    webhook, _secret = webhook_services.create_webhook(actor=admin, name="Socio", url="https://example.org/hook",
                                                       event_names=["report.published", "alert.sent"])
    now = timezone.now()
    Delivery.objects.create(webhook=webhook, event="report.published", body="{}", next_attempt_at=now,
                            status="delivered", attempts=1, status_code=200)
    Delivery.objects.create(webhook=webhook, event="alert.sent", body="{}", next_attempt_at=now,
                            status="failed", attempts=8, status_code=500, error="http")
    Delivery.objects.create(webhook=webhook, event="report.published", body="{}", next_attempt_at=now,
                            status="pending", attempts=1, error="timeout")
    webhook.is_active, webhook.disabled_automatically_at, webhook.consecutive_failures = False, now, 20
    webhook.save()
    return webhook


def _retention_policy(admin):
    from testigo.reports import retention
    from testigo.reports.models import RetentionPolicy

    policy = RetentionPolicy(name="Contactos tras publicar", action="contacts", age_basis="published", days=90,
                             statuses=["published"], is_enabled=True)
    return retention.save_policy(actor=admin, policy=policy, categories=[], confirm_everything=True)


SURVEY_FIELDS = [
    {"name": "armas", "type": "select_one", "label": {"es": "¿Había armas?", "en": "Were there weapons?"},
     "choices": [{"name": "si", "label": {"es": "Sí", "en": "Yes"}}, {"name": "no", "label": {"es": "No", "en": "No"}}],
     "required": True},
    {"name": "personas", "type": "integer", "label": {"es": "¿Cuántas personas?", "en": "How many people?"}},
]


def xlsform_survey_with_submission(admin, device):
    """An uploaded XLSForm in Spanish (a repeat: ODK Collect only) and one submission to it."""
    from testigo.surveys import selectors, submissions
    from testigo.surveys import services as survey_services
    from tests.surveys.conftest import write_xlsx

    data = write_xlsx({
        "survey": [["type", "name", "label::Español (es)"], ["geopoint", "lugar", "Lugar"],
                   ["begin_repeat", "personas", "Personas"], ["text", "nombre", "Nombre"],
                   ["select_one sino", "herida", "¿Herida?"], ["end_repeat", "", ""]],
        "choices": [["list_name", "name", "label::Español (es)"], ["sino", "si", "Sí"], ["sino", "no", "No"]],
        "settings": [["form_id", "version", "default_language"], ["hogares", "2026-01", "Español (es)"]]})
    survey = survey_services.import_xlsform(actor=admin, data=data, filename="hogares.xlsx")
    xml = (b'<data id="hogares" version="2026-01"><lugar>14.07 -87.19 0 5</lugar><personas><nombre>Ana</nombre>'
           b"<herida>si</herida></personas><personas><nombre>Luis</nombre><herida>no</herida></personas>"
           b"<meta><instanceID>uuid:hogar-1</instanceID></meta></data>")
    outcome = submissions.receive(survey_for=selectors.submittable_survey, xml=xml, files={}, device=device)
    assert outcome.status == 201, outcome.message
    return survey, outcome.submission


def sample_config(type_code: str) -> dict:
    from testigo.channels.types import all_types

    values = {}
    for field in all_types()[type_code].config_fields:
        if field.kind == "url":
            values[field.key] = "http://127.0.0.1:13013/send"
        elif field.kind == "host":
            values[field.key] = "127.0.0.1"
        elif field.key.endswith("port"):
            values[field.key] = "2775"
        else:
            values[field.key] = f"{field.key}-valor"
    return values


@pytest.fixture
def png_bytes_small() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def staff_client(world, language: str | None) -> Client:
    """The admin, logged in through the real login page (which unlocks the tip-line key)."""
    client = Client()
    if language:
        client.cookies["django_language"] = language
    response = client.post("/console/login/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    return client


def page_urls(world, names) -> list[tuple[str, str]]:
    """(name, url) of every page to read; a "query" entry adds a query string (a filtered view)."""
    urls = []
    for name in names:
        for kwargs in PAGES[name](world):
            kwargs = dict(kwargs)
            query = kwargs.pop("query", "")
            urls.append((name, reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")))
    return urls


# --- the promises ----------------------------------------------------------------------------

def test_every_url_pattern_is_read_or_skipped_with_a_reason():
    names = {name for name, _pattern in all_patterns() if not name.startswith(API_PREFIX)}
    listed = set(PAGES) | set(STATEFUL) | ACTIONS | set(SKIPPED)
    assert names - listed == set(), "new URL patterns: list each as a page, an action or a skip with a reason"
    assert listed - names == set(), "listed names that are no URL pattern"


def test_promise_every_console_and_public_page_speaks_spanish(world):
    admin = staff_client(world, None)  # no cookie: the deployment's Spanish
    failures = {}
    for _name, url in page_urls(world, PAGES):
        response = admin.get(url, HTTP_ACCEPT_LANGUAGE="es")
        if response.status_code != 200:
            failures[url] = f"status {response.status_code}"
        elif found := english_found(response.content.decode()):
            failures[url] = found
    anonymous = Client()
    for _name, url in page_urls(world, PUBLIC):
        response = anonymous.get(url, HTTP_ACCEPT_LANGUAGE="es")
        if response.status_code != 200:
            failures[f"{url} (anonymous)"] = f"status {response.status_code}"
        elif found := english_found(response.content.decode()):
            failures[f"{url} (anonymous)"] = found
    for url, html in stateful_pages(world, None).items():
        if found := english_found(html):
            failures[url] = found
    # A form sent empty comes back with its errors, in Spanish too (or is an action that redirects).
    for _name, url in page_urls(world, PAGES):
        response = admin.post(url, {})
        if response.status_code >= 500:
            failures[f"{url} (POST)"] = f"status {response.status_code}"
        elif response.status_code in (200, 400) and (found := english_found(response.content.decode())):
            failures[f"{url} (POST)"] = found
    assert not failures, "\n".join(f"{url}: {found}" for url, found in failures.items())


def test_every_page_answers_in_english_too(world):
    admin = staff_client(world, "en")
    failures = {url: response.status_code for _name, url in page_urls(world, PAGES)
                if (response := admin.get(url)).status_code != 200}
    anonymous = Client()
    anonymous.cookies["django_language"] = "en"
    failures |= {url: response.status_code for _name, url in page_urls(world, PUBLIC)
                 if (response := anonymous.get(url)).status_code != 200}
    assert not failures
    assert stateful_pages(world, "en")


def test_actions_refuse_a_get_with_405_never_a_500(world):
    admin = staff_client(world, None)
    patterns = dict(all_patterns())
    failures = {}
    for name in sorted(ACTIONS):
        dummy = {key: 1 if converter.__class__.__name__ == "IntConverter" else "x"
                 for key, converter in patterns[name].pattern.converters.items()}
        url = reverse(name, kwargs=dummy)
        if (status := admin.get(url).status_code) != 405:
            failures[url] = status
    assert not failures


def stateful_pages(world, language: str | None) -> dict[str, str]:
    """Each stateful page, read by a visitor in the state it is for (all must answer 200)."""
    from testigo.public.views import SESSION_REFERENCE

    pages = {}

    def read(client, url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages[url] = response.content.decode()

    tipster = Client()
    if language:
        tipster.cookies["django_language"] = language
    form = tipster.get(reverse("tipline:submit")).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', form) or re.search(r'value="([^"]+)" name="token"', form)
    response = tipster.post(reverse("tipline:submit"), {"body": "Otra denuncia anónima.", "token": token.group(1)})
    assert response.status_code == 302, response.content.decode()[:500]
    read(tipster, reverse("tipline:sent"))
    read(tipster, reverse("tipline:conversation"))
    read(tipster, reverse("tipline:logout"))
    visitor = Client()
    if language:
        visitor.cookies["django_language"] = language
    read(visitor, reverse("console:login"))
    pages.update(two_factor_pages(language))
    session = visitor.session
    session[SESSION_REFERENCE] = world["published"].reference
    session.save()
    read(visitor, reverse("public:report_thanks"))
    return pages


def two_factor_pages(language: str | None) -> dict[str, str]:
    """The code step and enrolment of someone half-way through logging in, and the recovery
    codes shown once enrolment is confirmed."""
    from django.contrib.auth import get_user_model

    from testigo.core import twofactor
    from testigo.core.models import TwoFactorDevice, TwoFactorRequirement

    TwoFactorRequirement.objects.update_or_create(scope=roles.VOLUNTEER, defaults={"required": True})
    pages = {}
    for username, role in (("marta", roles.MODERATOR), ("rosa", roles.VOLUNTEER)):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        roles.set_role(user, role)
        if role == roles.MODERATOR:
            TwoFactorDevice.objects.create(user=user, secret=twofactor.seal(b"k" * 20))
        client = Client()
        if language:
            client.cookies["django_language"] = language
        target = client.post("/console/login/", {"username": username, "password": PASSWORD})["Location"]
        response = client.get(target)
        assert response.status_code == 200, (target, response.status_code)
        pages[f"{target} ({username})"] = response.content.decode()
        response = client.post(target, {"code": "000000"})  # wrong (or, by chance, right): no 500
        assert response.status_code in (200, 302)
        pages[f"{target} ({username}, wrong code)"] = response.content.decode()
    key = twofactor.pending_key(get_user_model().objects.get(username="rosa"))
    response = client.post("/console/2fa/set-up/", {"code": twofactor.totp(key)})
    assert response.status_code == 200
    pages["/console/2fa/set-up/ (recovery codes)"] = response.content.decode()
    return pages


def test_promise_the_tip_line_setup_page_speaks_spanish(make_user, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    client = Client()
    client.force_login(make_user(roles.ADMIN, username="ana"))
    response = client.get(reverse("tipconsole:setup"))
    assert response.status_code == 200 and not english_found(response.content.decode())
    client.cookies["django_language"] = "en"
    assert client.get(reverse("tipconsole:setup")).status_code == 200


def test_the_checker_sees_english_and_ignores_tooltips_and_hidden_values():
    assert english_found("<button>Save</button>") and english_found("<td>web</td>")
    assert english_found('<input type="submit" value="Delete">') and english_found("<p>Estado: report.published</p>")
    assert not english_found('<span title="report.published">Publicado</span><input type="hidden" value="Save">'
                             "<script>var Save = 1;</script><td>Reporte web</td>"
                             '<p lang="en">Save <b>the</b> date</p><p>Guardar</p>')
    assert english_found('<p lang="en">Save</p><p>Cancel</p>')

