"""A small demo survey (extortion of small businesses), attached to a category, with answers
submitted the way ODK Collect submits them (OpenRosa XML through the submissions service)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from testigo.core import roles
from testigo.demo import in_language
from testigo.reports.models import Category
from testigo.surveys import selectors as survey_selectors
from testigo.surveys import services as survey_services
from testigo.surveys import submissions
from testigo.surveys.models import Survey

FORM_ID = "demo_extorsion_negocios"  # as the surveys service spells form ids
CATEGORY = "extorsion"


def _label(es: str, en: str) -> dict:
    return {"es": es, "en": en}


FIELDS = [
    {"name": "negocio", "type": "select_one", "required": True,
     "label": _label("¿Qué tipo de negocio recibe el cobro?", "What kind of business is being extorted?"),
     "choices": [{"name": "pulperia", "label": _label("Pulpería", "Corner shop")},
                 {"name": "taxi", "label": _label("Taxi o mototaxi", "Taxi or tuk-tuk")},
                 {"name": "bus", "label": _label("Bus o rapidito", "Bus or minibus")},
                 {"name": "otro", "label": _label("Otro", "Other")}]},
    {"name": "cuota", "type": "integer", "label": _label("Cuota semanal (lempiras)", "Weekly payment (lempiras)")},
    {"name": "denuncia", "type": "select_one", "label": _label("¿Lo denunció a la policía?", "Reported to the police?"),
     "choices": [{"name": "si", "label": _label("Sí", "Yes")}, {"name": "no", "label": _label("No", "No")}]},
    {"name": "relato", "type": "long_text", "label": _label("¿Qué pasó?", "What happened?")},
    {"name": "lugar", "type": "location", "label": _label("Lugar", "Place")},
]

# (negocio, cuota, denuncia, Spanish account, English account, lat, lon)
ANSWERS = [
    ("pulperia", 500, "no", "Cobran renta a las pulperías de la colonia cada viernes",
     "They collect protection money from the corner shops every Friday", 14.0628, -87.1795),
    ("taxi", 300, "no", "Los taxistas del punto tienen que pagar cuota diaria a la mara",
     "Taxi drivers at the rank must pay the gang a daily fee", 14.0862, -87.1528),
    ("bus", 1000, "si", "Amenazaron al motorista del rapidito por no pagar el impuesto de guerra",
     "The minibus driver was threatened for not paying the war tax", 15.5302, -87.9853),
    ("pulperia", 800, "no", "Dejaron una nota debajo de la puerta pidiendo dinero",
     "They left a note under the door asking for money", 14.0957, -87.1932),
    ("otro", 200, "no", "Le piden cuota a las señoras que venden tortillas en el mercado",
     "Women selling tortillas at the market are asked to pay", 15.6142, -87.9528),
]


def seed_survey() -> tuple[Survey, int]:
    """The demo survey and how many answers were submitted now (0 when it already existed)."""
    survey = Survey.objects.filter(form_id=FORM_ID).first()
    if survey is not None:
        return survey, 0
    survey = survey_services.create_survey(
        actor=roles.SYSTEM, name_es="Extorsión a negocios", name_en="Extortion of small businesses", fields=FIELDS,
        form_id=FORM_ID, category=Category.objects.filter(slug=CATEGORY).first())
    stored = 0
    for index, (negocio, cuota, denuncia, es, en, lat, lon) in enumerate(ANSWERS, start=1):
        outcome = submissions.receive(survey_for=survey_selectors.submittable_survey, xml=_instance(
            survey, index, negocio=negocio, cuota=cuota, denuncia=denuncia, relato=in_language(es, en),
            lugar=f"{lat} {lon} 0 20"), files={}, device=None)
        stored += outcome.status == 201
    return survey, stored


def _instance(survey: Survey, index: int, **answers) -> bytes:
    """The XML instance ODK Collect would post for these answers."""
    cells = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in answers.items())
    return (f'<?xml version="1.0"?><data id="{survey.form_id}" version="{survey.version}">{cells}'
            f"<meta><instanceID>uuid:{FORM_ID}-{index}</instanceID></meta></data>").encode()
