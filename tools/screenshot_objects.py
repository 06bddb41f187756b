"""The objects the screenshot tour needs beyond `testigo seed-demo`: an administrator, a colleague,
a survey, an uploaded XLSForm with one phone submission, an ODK device, a spreadsheet import, a zone, a draft broadcast, a messaging channel, a
map layer, an API token and a pending alert subscription. Everything goes through the services,
as staff would create it. Runs inside tools/screenshots.py once Django is set up."""

from __future__ import annotations

import json

SURVEY_FIELDS = [
    {"name": "armas", "type": "select_one", "label": {"es": "¿Había armas?", "en": "Were there weapons?"},
     "choices": [{"name": "si", "label": {"es": "Sí", "en": "Yes"}}, {"name": "no", "label": {"es": "No", "en": "No"}}],
     "required": True},
    {"name": "personas", "type": "integer", "label": {"es": "¿Cuántas personas participaron?",
                                                      "en": "How many people took part?"}},
    {"name": "detalles", "type": "text", "label": {"es": "Otros detalles", "en": "Other details"}},
]
IMPORT_CSV = (
    "fecha,titulo,descripcion,lugar,latitud,longitud\n"
    "2026-11-02,Asalto en bus,Dos hombres asaltaron a los pasajeros de la ruta 7,Colonia Kennedy,14.0723,-87.1921\n"
    "2026-11-03,Inundación,El río se desbordó sobre la calle principal,Barrio La Ronda,14.1030,-87.2050\n"
    "2026-11-04,Extorsión,Cobro de impuesto de guerra a pulperías,Colonia 21 de Octubre,14.0610,-87.1680\n"
).encode()
# An XLSForm as field teams bring them: a group, a repeat, a cascading select and a choice list
# from a CSV file (not attached yet), so the page shows "ODK Collect / Enketo only" and a missing file.
XLSFORM = {
    "survey": [["type", "name", "label::Español (es)", "label::English (en)", "choice_filter"],
               ["start", "inicio", "", "", ""],
               ["begin_group", "hogar", "Hogar", "Household", ""],
               ["select_one depto", "departamento", "Departamento", "Department", ""],
               ["select_one muni", "municipio", "Municipio", "Municipality", "depto=${departamento}"],
               ["select_one_from_file colonias.csv", "colonia", "Colonia", "Neighbourhood", ""],
               ["geopoint", "ubicacion", "Ubicación de la vivienda", "Location of the home", ""],
               ["end_group", "", "", "", ""],
               ["begin_repeat", "persona", "Persona afectada", "Affected person", ""],
               ["text", "nombre", "Nombre", "Name", ""],
               ["integer", "edad", "Edad", "Age", ""],
               ["select_one sino", "herida", "¿Resultó herida?", "Was the person injured?", ""],
               ["end_repeat", "", "", "", ""]],
    "choices": [["list_name", "name", "label::Español (es)", "label::English (en)", "depto"],
                ["depto", "fm", "Francisco Morazán", "Francisco Morazán", ""],
                ["depto", "cortes", "Cortés", "Cortés", ""],
                ["muni", "dc", "Distrito Central", "Distrito Central", "fm"],
                ["muni", "sps", "San Pedro Sula", "San Pedro Sula", "cortes"],
                ["sino", "si", "Sí", "Yes", ""], ["sino", "no", "No", "No", ""]],
    "settings": [["form_title", "form_id", "version"], ["Censo de hogares afectados", "censo_hogares", "2026-11"]],
}
INSTANCE = (b'<data id="censo_hogares" version="2026-11"><inicio>2026-11-20T09:15:00.000-06:00</inicio>'
            b"<hogar><departamento>fm</departamento><municipio>dc</municipio><colonia>kennedy</colonia>"
            b"<ubicacion>14.0723 -87.1921 1000 5</ubicacion></hogar>"
            b"<persona><nombre>Rosa Mej\xc3\xada</nombre><edad>34</edad><herida>no</herida></persona>"
            b"<persona><nombre>Luis Mej\xc3\xada</nombre><edad>9</edad><herida>si</herida></persona>"
            b"<meta><instanceID>uuid:2f1c6a8e-censo-0001</instanceID></meta></data>")
LAYER = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Posta policial Centro"},
     "geometry": {"type": "Point", "coordinates": [-87.2068, 14.1058]}},
    {"type": "Feature", "properties": {"name": "Distrito Central (zona 1)"},
     "geometry": {"type": "Polygon", "coordinates": [[[-87.23, 14.09], [-87.18, 14.09], [-87.18, 14.12],
                                                       [-87.23, 14.12], [-87.23, 14.09]]]}},
]}


def _users(admin: str, password: str):
    from django.contrib.auth import get_user_model

    from testigo.core import roles, services

    user_model = get_user_model()
    user = user_model.objects.create_user(username=admin, password=password, is_staff=True,
                                          first_name="Ana", last_name="Martínez")
    roles.set_role(user, roles.ADMIN)
    user = user_model.objects.get(pk=user.pk)
    # The run logs in with the password only (no phone to read a code from): two-factor login,
    # required for administrators and tip-line staff by default, is made optional here.
    from testigo.core.models import TwoFactorRequirement

    for scope in (roles.ADMIN, "tipline"):
        TwoFactorRequirement.objects.update_or_create(scope=scope, defaults={"required": False})
    for name, role in (("lucia", roles.MODERATOR), ("carlos", roles.VOLUNTEER)):
        services.create_user(actor=user, username=name, email=f"{name}@example.org", role=role, password=password)
    return user


def _xlsx(sheets: dict) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsform_survey(user, device):
    """An uploaded XLSForm and one submission from a phone."""
    from testigo.surveys import selectors, submissions
    from testigo.surveys import services as survey_services

    survey = survey_services.import_xlsform(actor=user, data=_xlsx(XLSFORM), filename="censo_hogares.xlsx")
    outcome = submissions.receive(survey_for=selectors.submittable_survey, xml=INSTANCE, files={}, device=device)
    return survey, outcome.submission


def _category():
    from testigo.reports.models import Category

    children = Category.objects.filter(parent__isnull=False, is_active=True).order_by("position")
    return children.filter(slug="robo").first() or children.first()


def _report_reference() -> str:
    """A published report with a place and a long-ish description, the same on every run."""
    from django.db.models.functions import Length

    from testigo.reports.models import Report

    published = Report.objects.filter(status=Report.Status.PUBLISHED).exclude(place_name="")
    report = published.annotate(n=Length("description")).filter(n__gte=80).order_by("occurred_at").first()
    return (report or published.order_by("occurred_at").first()).reference


def _hotspot(category) -> None:
    """Five robberies in the last hours at one street of Colonia Kennedy, then the hotspot job:
    the console's hotspot page and the staff map's layer have something to show."""
    from datetime import timedelta

    from django.utils import timezone

    from testigo.reports import hotspots
    from testigo.reports import services as report_services

    now = timezone.now()
    for i in range(5):
        report_services.create_report(
            title=f"Asalto a mano armada en la Kennedy ({i + 1})", description="Dos hombres en moto asaltan a peatones.",
            categories=[category], lat=14.0655 + 0.0004 * i, lon=-87.1798, place_name="Colonia Kennedy",
            source="sms", received_at=now - timedelta(minutes=20 + 30 * i))
    hotspots.detect()


def create_objects(*, admin: str, password: str) -> dict[str, str]:
    """Create the objects and return what the shots' paths are formatted with."""
    from django.core import signing

    from testigo.alerts import services as alert_services
    from testigo.alerts import subscriptions, zones
    from testigo.alerts.views import SALT
    from testigo.api import services as api_services
    from testigo.channels import services as channel_services
    from testigo.geo import services as geo_services
    from testigo.surveys import importing, presets
    from testigo.surveys import services as survey_services

    user = _users(admin, password)
    category = _category()
    survey = survey_services.create_survey(actor=user, name_es="Robos y asaltos", name_en="Robberies",
                                           fields=[dict(f) for f in SURVEY_FIELDS], form_id="robos",
                                           category=category)
    device, _token = survey_services.add_device(actor=user, name="Teléfono de Lucía")
    xlsform_survey, submission = _xlsform_survey(user, device)
    imp = importing.create_import(actor=user, name="reportes-noviembre.csv", data=IMPORT_CSV)
    done = importing.create_import(actor=user, name="reportes-octubre.csv", data=IMPORT_CSV.replace(b"-11-", b"-10-")
                                   + b"2026-10-05,Sin lugar,Fila con coordenadas al reves,Choluteca,-87.19,14.07\n")
    importing.set_mapping(actor=user, imp=done, mapping_json={**presets.guess(importing.header_of(done)),
                                                               "bbox": [12.9, -89.4, 16.5, -83.1]})
    importing.start(actor=user, imp=done)  # the worker runs it once the server is up
    zone = zones.create_zone(actor=user, name_es="Colonia Kennedy", name_en="Colonia Kennedy",
                             lat=14.0723, lon=-87.1921, radius_m=1500)
    zones.create_zone(actor=user, name_es="Centro de Tegucigalpa", name_en="Tegucigalpa centre",
                      lat=14.1058, lon=-87.2068, radius_m=1000)
    alert = alert_services.create_broadcast(
        actor=user, zone_ids=[zone.pk],
        message_es="Corte de agua en la Colonia Kennedy mañana de 8 a 14 h. Guarde agua hoy.",
        message_en="Water cut in Colonia Kennedy tomorrow from 8 am to 2 pm. Store water today.")
    channel = channel_services.add_channel(actor=user, type_code="smssync", name="SMS Tegucigalpa")
    from testigo.channels import wa_templates

    whatsapp = channel_services.add_channel(
        actor=user, type_code="whatsapp", name="WhatsApp Testigo",
        config={"app_secret": "demo-app-secret", "access_token": "demo-token", "phone_number_id": "104857600000000"})
    alert_template = wa_templates.save_template(
        actor=user, channel=whatsapp, name="alerta_zona", language="es", purpose="alert",
        body="Alerta para {{1}}: {{2}} Responda BAJA para no recibir más alertas.")
    wa_templates.save_template(actor=user, channel=whatsapp, name="respuesta_reporte", language="es", purpose="other",
                               body="Sobre su reporte: {{1}}")
    geo_services.create_layer(actor=user, name_es="Postas policiales", name_en="Police stations",
                              filename="postas.geojson", data=json.dumps(LAYER).encode(), visible_by_default=True)
    api_services.create_token(user=user, name="Tablero de la alcaldía", scope="read", actor=user)
    sub = subscriptions.start(scheme="mailto", address="vecina@example.org", language="es", zone_ids=[zone.pk],
                              categories=[])
    policy = _retention_policy(user)
    story = _story(user)
    _hotspot(category)
    return {"story": story.slug, "story_id": str(story.pk), "report": _report_reference(), "category": str(category.pk), "survey": str(survey.pk),
            "import": str(imp.pk), "import_done": str(done.pk), "alert": str(alert.pk), "channel": str(channel.pk),
            "whatsapp": str(whatsapp.pk), "wa_template": str(alert_template.pk),
            "alert_token": signing.dumps(sub.pk, salt=SALT), "xlsform_survey": str(xlsform_survey.pk),
            "submission": str(submission.pk), "retention_policy": str(policy.pk)}


def _story(user):
    """The demo's published story (docs/stories.md, testigo/demo/stories.py)."""
    from testigo.demo.stories import seed_story
    from testigo.stories.models import Story

    seed_story()  # seed_demo made it already; made here only if the demo had no story
    return Story.objects.order_by("pk").first()


def _retention_policy(user):
    """A policy as an NGO would write it: reporters' contacts go 90 days after publication."""
    from testigo.reports import retention
    from testigo.reports.models import RetentionPolicy

    policy = RetentionPolicy(name="Contactos: 90 días después de publicar", action=RetentionPolicy.Action.CONTACTS,
                             age_basis=RetentionPolicy.AgeBasis.PUBLISHED, days=90, statuses=["published"],
                             is_enabled=True)
    return retention.save_policy(actor=user, policy=policy, categories=[], confirm_everything=True)
