"""Keeping a tip past the retention period is said plainly, in the deployment's Spanish:
"No borrar al vencer el plazo de conservación", not "Conservar más allá del período de conservación"."""

from __future__ import annotations

from testigo.tipline import services
from testigo.tipline.models import Tip


def test_promise_keeping_a_tip_is_said_plainly(client, tip_admin, tl):
    services.submit_tip(body="hola", files=[], language="es")
    tip = Tip.objects.get()
    tl.staff_client(client, tip_admin)
    html = client.get(f"/console/tips/{tip.pk}/").content.decode()
    assert "No borrar al vencer el plazo de conservación" in html and "más allá" not in html
    html = client.post(f"/console/tips/{tip.pk}/keep/", {"keep": "1"}, follow=True).content.decode()
    assert "Permitir que se borre al vencer el plazo de conservación" in html
    assert "no se borrará al vencer el plazo de conservación" in html and "más allá" not in html
