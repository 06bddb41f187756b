"""The demo's story (docs/stories.md): a published story about extortion linking some of the
demo's published extortion reports, in Spanish and English. Seeded once (skipped when any story
exists)."""

from __future__ import annotations

from testigo.core import roles
from testigo.reports.selectors import public_base

SLUG = "extorsion-transporte-tegucigalpa-2026"
BODY_ES = """## Un patrón que se repite

Desde enero, los reportes publicados sobre extorsión en Tegucigalpa y Comayagüela cuentan lo mismo:
una cuota semanal a cambio de poder trabajar, cobrada por teléfono o en persona, y amenazas a quien
no paga.

> «Si no pagás, no trabajás.» — testimonio recogido en un reporte

{cards}
## Qué puede hacer

- Reportar de forma segura: lea la [guía para reportar con seguridad](/guides/reporting-safely/).
- Suscribirse a las [alertas](/alerts/) de su zona.
"""
BODY_EN = """## A pattern that repeats

Since January, the published reports of extortion in Tegucigalpa and Comayagüela tell the same story:
a weekly fee to be allowed to work, collected by phone or in person, and threats to whoever does not pay.

> "If you don't pay, you don't work." — from a report

{cards}
## What you can do

- Report safely: read the [guide to reporting safely](/guides/reporting-safely/).
- Subscribe to [alerts](/alerts/) for your area.
"""


def seed_story() -> int:
    from testigo.stories import services
    from testigo.stories.models import Story

    if Story.objects.exists():
        return 0
    reports = public_base().filter(categories__slug="extorsion").order_by("-published_at")
    local = reports.filter(place_name__icontains="Tegucigalpa")
    refs = list((local if local.count() >= 3 else reports).values_list("reference", flat=True)[:6])
    if not refs:
        return 0
    cards = "".join(f"[[report:{ref}]]\n\n" for ref in refs[:2])
    story = services.save_story(actor=roles.SYSTEM, data=services.StoryInput(
        slug=SLUG, references=refs,
        texts={"title_es": "Extorsión a quienes trabajan en Tegucigalpa y Comayagüela, 2026",
               "summary_es": "Lo que cuentan los reportes publicados sobre las cuotas cobradas a quienes trabajan.",
               "body_es": BODY_ES.format(cards=cards),
               "title_en": "Extortion of working people in Tegucigalpa and Comayagüela, 2026",
               "summary_en": "What the published reports tell of the fees extorted from working people.",
               "body_en": BODY_EN.format(cards=cards), "byline": ""}))
    services.set_status(actor=roles.SYSTEM, story=story, status=Story.Status.PUBLISHED)
    return 1
