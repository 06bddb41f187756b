"""The tip line of the demo: set up for the printed administrator, with one sample tip and a
reply, sealed exactly like real ones."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from testigo.demo import in_language
from testigo.tipline import services as tip_services
from testigo.tipline import vault
from testigo.tipline.models import Tip


@dataclass(frozen=True)
class TiplineDemo:
    recovery_key: str  # returned once by the vault; printed once with the password, never stored
    codename: str  # the sample source's codename, to read the conversation as the source does


@transaction.atomic
def setup_tipline(*, admin, password: str) -> TiplineDemo | None:
    """Set up the tip line for `admin` (whose password we know only because the demo just made
    it) and add a sample conversation. None when the tip line is already set up. All or nothing:
    a tip line whose recovery key was never shown must not be left behind."""
    if vault.current() is not None:
        return None
    recovery_key = vault.initialise(user=admin, password=password)
    language = settings.LANGUAGE_CODE[:2]
    access, codename = tip_services.submit_tip(body=in_language(
        "Trabajo en la alcaldía y he visto cómo se desvía el dinero del proyecto de agua potable de la "
        "colonia. Tengo copias de las facturas. No puedo dar mi nombre.",
        "I work at the town hall and have seen money for the neighbourhood's drinking water project "
        "being diverted. I have copies of the invoices. I cannot give my name."), files=[], language=language)
    tip = Tip.objects.get(source_id=access.source_id)
    org_private = vault.open_with_recovery_key(recovery_key=recovery_key)
    tip_services.staff_reply(actor=admin, org_private=org_private, tip=tip, body=in_language(
        "Gracias por confiar en nosotros. ¿Puede enviarnos las facturas por aquí? Antes de subirlas, "
        "quite su nombre si aparece en ellas.",
        "Thank you for trusting us. Can you send us the invoices here? Before uploading them, remove your "
        "name if it appears on them."))
    tip_services.source_message(access=access, body=in_language(
        "Las enviaré la próxima semana, cuando pueda sacarlas sin que nadie se dé cuenta.",
        "I will send them next week, when I can take them out without anybody noticing."), files=[])
    return TiplineDemo(recovery_key=recovery_key, codename=codename)
