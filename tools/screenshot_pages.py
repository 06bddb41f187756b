"""Every page `make screenshots` captures, and every URL pattern it leaves out (with the reason).

Pure data, no Django import: tools/screenshots.py drives Chromium through SHOTS in order, and
tests/core/test_promise_every_page_has_a_screenshot_in_the_docs.py checks that every URL
pattern of testigo/urls.py is either here or in EXCLUDED, and that every image is used in docs/.

A shot's `path` is formatted with the objects tools/screenshots.py creates (`{report}`,
`{survey}`, ...). `who` chooses the browser session: "public" is a fresh visitor every time,
"staff" the logged-in administrator, "source" the tip-line source who keeps a session. `steps`
names an action in tools/screenshots.py run after loading `path` (filling a form, following a
link); `after` names one run once the shot is taken (at every width).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTHS = {1280: 800, 390: 844}  # viewport width -> height: a laptop and a phone
FULL_PAGE_MAX_HEIGHT = 2500  # a long page is also captured whole, cut at this height


@dataclass(frozen=True)
class Shot:
    pattern: str  # the URL pattern's name, "namespace:name"
    slug: str  # file name: docs/screenshots/<slug>-<width>.png
    path: str
    doc: str  # the docs/ page that shows it
    caption: str
    who: str = "public"
    steps: str = ""
    after: str = ""
    address: str = ""  # the address shown in the docs when `steps` ends elsewhere than `path`


SHOTS: list[Shot] = [
    # --- The public site -------------------------------------------------------------------
    Shot("public:home", "public-map", "/", "map.md", "The public map (home page)"),
    Shot("public:report_list", "public-report-list", "/reports/", "map.md", "Published reports as a list"),
    Shot("public:report_detail", "public-report-page", "/r/{report}/", "map.md", "A published report"),
    Shot("public:report_new", "public-report-form", "/report/", "reporting.md", "The public report form"),
    Shot("public:report_thanks", "public-report-thanks", "/report/", "reporting.md",
         "After sending a report: its reference", steps="send_report", address="/report/thanks/"),
    Shot("alerts:subscribe", "public-alerts-subscribe", "/alerts/", "alerts.md", "Subscribing to alerts"),
    Shot("public:help_services", "public-help-services", "/help/", "help-services.md", "The help-services directory"),
    Shot("alerts:confirm", "public-alerts-confirm", "/alerts/confirm/{alert_token}/", "alerts.md",
         "Confirming a subscription with the code received"),
    Shot("api:docs", "public-api-docs", "/api/v1/docs", "api.md", "The API's own documentation page"),
    # --- The console: logging in, the inbox, a report ------------------------------------
    Shot("console:login", "console-login", "/console/login/", "console.md", "Logging in to the console"),
    Shot("console:inbox", "console-inbox", "/console/", "console.md", "The inbox", who="staff"),
    Shot("console:report", "console-report", "/console/r/{report}/", "console.md",
         "A report in the console", who="staff"),
    Shot("console:map", "console-map", "/console/map/", "map.md", "The staff map", who="staff"),
    Shot("console:layers", "console-layers", "/console/layers/", "map.md", "Custom map layers", who="staff"),
    Shot("console:hotspots", "console-hotspots", "/console/hotspots/", "duplicates-and-hotspots.md",
         "Hotspots: more reports than usual in one place", who="staff"),
    Shot("console:categories", "console-categories", "/console/categories/", "console.md",
         "Categories", who="staff"),
    Shot("console:category_new", "console-category-new", "/console/categories/new/", "console.md",
         "A new category", who="staff"),
    Shot("console:category_edit", "console-category-edit", "/console/categories/{category}/", "console.md",
         "Editing a category", who="staff"),
    Shot("console:help_services", "console-help-services", "/console/help-services/", "help-services.md",
         "The help-services directory in the console", who="staff"),
    Shot("console:help_service_new", "console-help-service-new", "/console/help-services/new/", "help-services.md",
         "A new help service", who="staff"),
    Shot("console:users", "console-users", "/console/users/", "users-and-roles.md", "Users and roles", who="staff"),
    Shot("console:password", "console-password", "/console/password/", "users-and-roles.md",
         "Changing my password", who="staff"),
    Shot("console:audit", "console-audit", "/console/audit/", "users-and-roles.md", "The audit trail", who="staff"),
    Shot("console:dashboard", "console-dashboard", "/console/dashboard/", "dashboard.md", "The dashboard", who="staff"),
    Shot("console:backups", "console-backups", "/console/backups/", "operations.md", "Backups", who="staff"),
    Shot("console:evidence", "console-evidence", "/console/evidence/?ref={report}", "evidence.md",
         "An evidence package for a lawyer or a commission", who="staff"),
    Shot("console:retention", "console-retention", "/console/retention/", "operations.md",
         "Retention and purge policies", who="staff"),
    Shot("console:retention_new", "console-retention-new", "/console/retention/new/", "operations.md",
         "A new retention policy", who="staff"),
    Shot("console:retention_edit", "console-retention-edit", "/console/retention/{retention_policy}/",
         "operations.md", "Editing a retention policy", who="staff"),
    Shot("console:retention_preview", "console-retention-preview", "/console/retention/{retention_policy}/preview/",
         "operations.md", "What a retention policy would touch now", who="staff"),
    Shot("api_console:tokens", "console-tokens", "/console/tokens/", "api.md", "API tokens", who="staff"),
    Shot("webhooks_console:list", "console-webhooks", "/console/webhooks/", "webhooks.md", "Webhooks", who="staff"),
    Shot("console:tilesets", "console-tilesets", "/console/tilesets/", "map.md",
         "Self-hosted basemaps (MBTiles and PMTiles)", who="staff"),
    Shot("console:places", "console-places", "/console/places/", "geo.md", "Places: the gazetteer", who="staff"),
    # --- Messaging channels --------------------------------------------------------------
    Shot("channels_console:channel_list", "console-channels", "/console/messages/channels/", "channels.md",
         "Messaging channels", who="staff"),
    Shot("channels_console:channel_edit", "console-channel-edit", "/console/messages/channels/{channel}/",
         "channels.md", "Editing a channel", who="staff"),
    Shot("channels_console:simulate", "console-channel-simulate",
         "/console/messages/channels/{channel}/simulate/?phone=%2B50490000013", "channels.md",
         "Simulating a message from a phone", who="staff"),
    Shot("channels_console:templates", "console-whatsapp-templates", "/console/messages/channels/{whatsapp}/templates/",
         "channels.md", "A WhatsApp channel's approved templates", who="staff"),
    Shot("channels_console:template_edit", "console-whatsapp-template-edit",
         "/console/messages/channels/{whatsapp}/templates/{wa_template}/", "channels.md",
         "Editing a WhatsApp template", who="staff"),
    # --- Surveys, ODK devices, imports ---------------------------------------------------
    Shot("surveys:list", "console-surveys", "/console/surveys/", "surveys.md", "Surveys", who="staff"),
    Shot("surveys:new", "console-survey-new", "/console/surveys/new/", "surveys.md", "A new survey", who="staff"),
    Shot("surveys:upload", "console-survey-upload", "/console/surveys/upload/", "surveys.md",
         "Uploading an XLSForm", who="staff"),
    Shot("surveys:edit", "console-survey-edit", "/console/surveys/{survey}/", "surveys.md",
         "Editing a survey", who="staff"),
    Shot("surveys:edit", "console-survey-xlsform", "/console/surveys/{xlsform_survey}/", "surveys.md",
         "An uploaded XLSForm", who="staff"),
    Shot("surveys:submission", "console-survey-submission",
         "/console/surveys/{xlsform_survey}/submissions/{submission}/", "surveys.md",
         "One submission's answers, repeats included", who="staff"),
    Shot("surveys:field_new", "console-survey-field-new", "/console/surveys/{survey}/fields/new/", "surveys.md",
         "Adding a question", who="staff"),
    Shot("surveys:field_edit", "console-survey-field-edit", "/console/surveys/{survey}/fields/0/", "surveys.md",
         "Editing a question", who="staff"),
    Shot("surveys:data", "console-survey-data", "/console/surveys/{survey}/data/", "surveys.md",
         "A survey's answers", who="staff"),
    Shot("surveys:encryption", "console-survey-encryption", "/console/surveys/{survey}/encryption/", "surveys.md",
         "Encrypting a survey's submissions", who="staff"),
    Shot("surveys:devices", "console-odk-devices", "/console/surveys/devices/", "surveys.md",
         "ODK Collect devices", who="staff"),
    Shot("surveys:rejected", "console-odk-rejected", "/console/surveys/rejected/", "surveys.md",
         "Refused ODK submissions", who="staff"),
    Shot("surveys:imports", "console-imports", "/console/surveys/imports/", "surveys.md",
         "Importing a spreadsheet", who="staff"),
    Shot("surveys:import_mapping", "console-import-mapping", "/console/surveys/imports/{import}/", "surveys.md",
         "Matching a spreadsheet's columns", who="staff"),
    Shot("surveys:import_progress", "console-import-progress", "/console/surveys/imports/{import_done}/progress/",
         "surveys.md", "An import's progress", who="staff"),
    # --- Early warnings ------------------------------------------------------------------
    Shot("alerts_console:list", "console-alerts", "/console/alerts/", "alerts.md", "Alerts", who="staff"),
    Shot("alerts_console:detail", "console-alert", "/console/alerts/{alert}/", "alerts.md",
         "An alert before it is sent", who="staff"),
    Shot("alerts_console:broadcast", "console-alert-broadcast", "/console/alerts/broadcast/", "alerts.md",
         "Writing a broadcast", who="staff"),
    Shot("alerts_console:zones", "console-alert-zones", "/console/alerts/zones/", "alerts.md", "Zones", who="staff"),
    Shot("alerts_console:rules", "console-alert-rules", "/console/alerts/rules/", "alerts.md",
         "Automatic alert rules", who="staff"),
    # --- The tip line, in the order a deployment meets it --------------------------------
    Shot("tipconsole:setup", "console-tips-setup", "/console/tips/setup/", "tipline.md",
         "Opening the tip line: creating its key", who="staff", after="create_tip_key"),
    Shot("tipconsole:unlock", "console-tips-unlock", "/console/tips/unlock/", "tipline.md",
         "Unlocking the tip line", who="staff", after="unlock_tips"),
    Shot("tipline:submit", "tip-form", "/tip/", "tipline.md", "The anonymous tip form"),
    Shot("tipline:sent", "tip-sent", "/tip/", "tipline.md", "After sending a tip: the codename",
         who="source", steps="send_tip", address="/tip/sent/"),
    Shot("tipline:conversation", "tip-conversation", "/tip/conversation/", "tipline.md",
         "A source's conversation", who="source"),
    Shot("tipline:login", "tip-login", "/tip/login/", "tipline.md", "A source coming back with the codename"),
    Shot("tipconsole:list", "console-tips", "/console/tips/", "tipline.md", "Tips", who="staff"),
    Shot("tipconsole:tip", "console-tip", "/console/tips/", "tipline.md", "A tip", who="staff",
         steps="open_first_tip", address="/console/tips/<tip>/"),
    Shot("tipconsole:access", "console-tips-access", "/console/tips/access/", "tipline.md",
         "Who may read tips", who="staff"),
    # --- Security guides ----------------------------------------------------------------------
    Shot("public:guides", "public-guides", "/guides/", "guides.md", "The security guides for citizens"),
    Shot("public:guide", "public-guide-tipline", "/guides/tip-line/", "guides.md",
         "A guide: the anonymous tip line and Tor Browser"),
    Shot("console:guides", "console-guides", "/console/guides/", "guides.md", "The guides in the console",
         who="staff"),
    Shot("console:guide", "console-guide-account-security", "/console/guides/account-security/", "guides.md",
         "The staff guide: account security", who="staff"),
    Shot("console:guide_edit", "console-guide-edit", "/console/guides/sms/edit/", "guides.md",
         "Editing a guide (Markdown, preview, restore the default)", who="staff"),
    Shot("tipconsole:rotate", "console-tips-rotate", "/console/tips/rotate/", "tipline.md",
         "Changing the tip line's key", who="staff"),
    Shot("tipconsole:recover", "console-tips-recover", "/console/tips/recover/", "tipline.md",
         "Opening the tip line with the recovery key", who="staff"),
    # --- Stories ----------------------------------------------------------------------------
    Shot("stories:index", "public-stories", "/stories/", "stories.md", "The public stories"),
    Shot("stories:story", "public-story", "/stories/{story}/", "stories.md",
         "A story: text, a report card and the small map of its reports"),
    Shot("stories_console:list", "console-stories", "/console/stories/", "stories.md", "Stories in the console",
         who="staff"),
    Shot("stories_console:edit", "console-story-edit", "/console/stories/{story_id}/", "stories.md",
         "Editing a story: states, evidence package, Markdown", who="staff"),
]

_POST = "an action (POST) that redirects to a page captured elsewhere"
_FILE = "a file download, not an HTML page"

# Pattern names ("namespace:name"); a name ending in ":*" leaves out a whole namespace.
EXCLUDED: dict[str, str] = {
    "set_language": _POST,
    "console:guide_restore": _POST,
    "stories:feed": "an Atom feed (XML for feed readers), not a page",
    "stories_console:new": "the same form as stories_console:edit, empty",
    "stories_console:status": _POST,
    "stories_console:evidence": "the evidence package of a story's reports (POST; a ZIP download)",
    "channels:*": "gateway webhooks: machines call them, nobody sees them",
    "odk:*": "OpenRosa endpoints for ODK Collect (XML), not pages",
    "api:v1:*": "the JSON API; its documentation page is api:docs",
    "public:public_media": "a published photo (an image file)",
    "public:public_media_poster": "a public video's still frame (an image file)",
    "console:media_poster": "a video's still frame (an image file)",
    "console:media_original": "a recording's original as sent (a download)",
    "console:report_recordings": _POST,
    "public:favicon": "the site icon",
    "public:dashboard": "off by default (TESTIGO_PUBLIC_DASHBOARD); the same sections as console:dashboard",
    "public:feed_reports": "an Atom feed (XML for feed readers), not a page",
    "public:feed_category": "an Atom feed (XML for feed readers), not a page",
    "public:feed_zone": "an Atom feed (XML for feed readers), not a page",
    "alerts_console:zone_shapes": "the zones' outlines (GeoJSON) that the zones map draws",
    # Not captured yet: the screenshot run needs Chromium, absent where these pages were written.
    "tipline:challenge": "the tip form's proof-of-work challenge (JSON)",
    "tipline:logout": "a source leaving (POST); it ends the session the other tip-line shots use",
    "tipline:exit": "the tip pages' quick exit: a redirect to a neutral site outside Testigo",
    "console:help_service_edit": "the same form as console:help_service_new, filled in",
    "console:inbox_bulk": _POST,
    "console:logout": _POST,
    "console:report_edit": _POST,
    "console:report_note": _POST,
    "console:report_status": _POST,
    "console:report_merge": _POST,
    "console:duplicate_merge": _POST,
    "console:report_unmerge": _POST,
    "console:duplicate_dismiss": _POST,
    "console:hotspots_geojson": "the staff map's hotspot layer (GeoJSON)",
    "console:report_redact": _POST,
    "console:media_public": _POST,
    "console:inbound_media_retry": _POST,
    "console:media": _FILE,
    "console:dashboard_csv": _FILE,
    "console:inbox_export": _FILE,
    "webhooks_console:detail": "a webhook's delivery log: the list page (console-webhooks) shows the same layout",
    "webhooks_console:replay": _POST,
    "webhooks_console:action": _POST,
    "console:report_evidence": "the evidence package of one report (POST; a ZIP download)",
    "console:user_role": _POST,
    "console:user_active": _POST,
    "console:twofactor": "not captured yet (two-factor login, written without Chromium screenshots at hand)",
    "console:twofactor_code": "not captured yet: the code step after the password (docs/security.md)",
    "console:twofactor_enrol": "not captured yet: setting up two-factor login (docs/security.md)",
    "console:twofactor_settings": "not captured yet: who must use two-factor login (docs/security.md)",
    "console:twofactor_recovery_codes": _POST,
    "console:twofactor_disable": _POST,
    "console:twofactor_reset": _POST,
    "console:layer_toggle": _POST,
    "console:layer_delete": _POST,
    "console:tileset_toggle": _POST,
    "console:tileset_aerial": _POST,
    "console:tileset_delete": _POST,
    "public:tile": "a map tile of a self-hosted basemap (an image), not a page",
    "console:places_delete_source": _POST,
    "console:place_accept": _POST,
    "console:place_dismiss": _POST,
    "console:places_search": "JSON for the report editor's place search, not a page",
    "console:retention_apply": _POST,
    "console:retention_delete": _POST,
    "api_console:token_revoke": _POST,
    "channels_console:reply": _POST,
    "tipconsole:revoke": _POST,
    "tipconsole:rotate_continue": _POST,
    "tipconsole:keep_originals": _POST,
    "tipconsole:reply": _POST,
    "tipconsole:keep": _POST,
    "tipconsole:to_report": _POST,
    "tipconsole:file": _FILE,
    "surveys:device_revoke": _POST,
    "surveys:rejected_body": _FILE,
    "surveys:import_run": _POST,
    "surveys:import_rejected": _FILE,
    "surveys:media_upload": _POST,
    "surveys:media_remove": _POST,
    "surveys:field_move": _POST,
    "surveys:field_remove": _POST,
    "surveys:version_file": _FILE,
    "surveys:submission_xml": _FILE,
    "alerts_console:action": _POST,
    "alerts_console:zone_delete": _POST,
}


def image_names(slug: str) -> list[str]:
    """The files a shot may produce: the viewport at each width, and the whole page when long."""
    return [f"{slug}-{width}{suffix}.png" for width in WIDTHS for suffix in ("", "-full")]
