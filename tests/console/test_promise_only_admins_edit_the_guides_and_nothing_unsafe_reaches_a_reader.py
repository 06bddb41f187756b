"""Promise (to citizens and to the organisation): administrators adapt the security guides to
their context from the console, in Spanish and English, with a preview and a way back to the
shipped text; every change is in the audit trail; nobody else can change them; and whatever an
editor types, a reader's page never carries a script, a frame, an event handler or a
javascript: link — the Markdown is rendered and sanitised on the server."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from testigo.core import guides, roles
from testigo.core.models import AuditEvent, Guide

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

EDIT = "/console/guides/sms/edit/"
HOSTILE = """## Antes de enviar

Texto **útil** con [un enlace](https://ssd.eff.org/es).

<script>alert('guion')</script>
<iframe src="https://example.org/espia"></iframe>
<img src="https://example.org/pixel.png" onerror="alert(1)">
<a href="javascript:alert(2)" onclick="alert(3)">tóqueme</a>
[otro](javascript:alert(4)) [datos](data:text/html;base64,PHNjcmlwdD4=)
<p style="position:fixed" onmouseover="alert(5)">encima</p>
"""


def _form(**changes) -> dict:
    data = {f"{field}_{lang}": getattr(guides.guide("sms", lang), field)
            for lang in guides.LANGUAGES for field in ("title", "body")}
    data.update(changes)
    return data


def _assert_harmless(html: str) -> None:
    lowered = html.lower()
    for bad in ("<script", "alert('guion')", "<iframe", "<img", "onerror", "onclick", "onmouseover", "javascript:",
                "data:text", "style="):
        assert bad not in lowered, bad


def test_an_admin_edits_a_guide_in_spanish_and_the_public_reads_it_sanitised(client_as):
    admin = client_as(roles.ADMIN)
    assert admin.get(EDIT).status_code == 200
    response = admin.post(EDIT, _form(title_es="SMS sin riesgos", body_es=HOSTILE, save="1"))
    assert response.status_code == 302
    page = Client().get("/guides/sms/")  # a citizen, in Spanish
    html = page.content.decode()
    assert "<h1>SMS sin riesgos</h1>" in html
    assert "<h2>Antes de enviar</h2>" in html and "<strong>útil</strong>" in html
    assert '<a href="https://ssd.eff.org/es" rel="noopener noreferrer nofollow">un enlace</a>' in html
    assert "tóqueme" in html and "encima" in html  # the words stay, the code goes
    _assert_harmless(html[html.index('<article class="guide">'):html.index("</article>")])
    # English was not touched: it is still the default.
    english = Client(HTTP_COOKIE="django_language=en").get("/guides/sms/").content.decode()
    assert f"<h1>{guides.default('sms', 'en')[0]}</h1>" in english
    event = AuditEvent.objects.get(action="guide.edited")
    assert (event.object_type, event.object_id, event.data, event.actor) == ("core.guide", "sms", {"languages": ["es"]},
                                                                            admin.user)


def test_preview_shows_the_sanitised_text_and_saves_nothing(client_as):
    admin = client_as(roles.ADMIN)
    response = admin.post(EDIT, _form(body_en=HOSTILE, preview="1"))
    assert response.status_code == 200
    html = response.content.decode()
    preview = html[html.index('id="guide-preview"'):html.index("<form", html.index('id="guide-preview"'))]
    assert "<h2>Antes de enviar</h2>" in preview
    _assert_harmless(preview)
    assert not Guide.objects.exists() and not AuditEvent.objects.filter(action__startswith="guide.").exists()


def test_restore_the_default_puts_back_the_shipped_text_and_is_audited(client_as):
    admin = client_as(roles.ADMIN)
    admin.post(EDIT, _form(title_es="Otro título", body_es="Otro texto", title_en="Other title", save="1"))
    assert guides.guide("sms", "es").title == "Otro título" and guides.guide("sms", "en").edited
    response = admin.post("/console/guides/sms/restore/", {"language": "es"})
    assert response.status_code == 302
    assert guides.guide("sms", "es").title == guides.default("sms", "es")[0]
    assert guides.guide("sms", "es").body == guides.default("sms", "es")[1] and not guides.guide("sms", "es").edited
    assert guides.guide("sms", "en").title == "Other title"  # only the language asked for
    assert AuditEvent.objects.get(action="guide.restored").data == {"language": "es"}
    assert admin.post("/console/guides/sms/restore/", {"language": "fr"}).status_code == 302
    assert guides.guide("sms", "en").title == "Other title"


def test_saving_the_default_text_unchanged_stores_and_audits_nothing(client_as):
    untouched = _form(save="1")
    # As a browser sends a textarea: lines ended by CRLF.
    untouched.update({f"body_{lang}": untouched[f"body_{lang}"].replace("\n", "\r\n") for lang in guides.LANGUAGES})
    client_as(roles.ADMIN).post(EDIT, untouched)
    assert not AuditEvent.objects.filter(action__startswith="guide.").exists()
    assert not any(guides.guide("sms", lang).edited for lang in guides.LANGUAGES)


@pytest.mark.parametrize("role", [roles.COORDINATOR, roles.MODERATOR, roles.ANALYST, roles.VOLUNTEER])
def test_no_one_but_an_admin_edits_or_restores_a_guide(client_as, role, make_user):
    staff = client_as(role)
    assert staff.get(EDIT).status_code == 403
    assert staff.post(EDIT, _form(title_es="Cambiado", save="1")).status_code == 403
    assert staff.post("/console/guides/sms/restore/", {"language": "es"}).status_code == 403
    assert not Guide.objects.exists()
    with pytest.raises(PermissionDenied):
        guides.save_guide(actor=staff.user, slug="sms", texts={"es": ("Cambiado", "")})
    assert "Cambiado" not in Client().get("/guides/sms/").content.decode()
    # They read the guides, and the staff guide is theirs.
    assert staff.get("/console/guides/").status_code == 200
    page = staff.get("/console/guides/account-security/")
    assert page.status_code == 200 and "/console/2fa/" in page.content.decode()
    assert "/edit/" not in staff.get("/console/guides/").content.decode()


def test_visitors_who_are_not_staff_are_sent_to_log_in():
    client = Client()
    for path in ["/console/guides/", "/console/guides/account-security/", EDIT]:
        response = client.get(path)
        assert response.status_code == 302 and "/console/login/" in response["Location"]
    response = client.post("/console/guides/sms/restore/", {"language": "es"})
    assert response.status_code in (302, 403) and not Guide.objects.exists()


def test_the_account_security_guide_covers_two_factor_phishing_encryption_and_shared_computers(client_as):
    html = client_as(roles.VOLUNTEER).get("/console/guides/account-security/").content.decode()
    for advice in ['href="/console/2fa/"', "Phishing", "disk encryption", "Shared computers", "recovery codes"]:
        assert advice in html, advice
    spanish = client_as(roles.ADMIN)
    spanish.cookies["django_language"] = "es"
    html = spanish.get("/console/guides/account-security/").content.decode()
    for advice in ["Verificación en dos pasos", "phishing", "Cifrado del dispositivo", "Computadores compartidos"]:
        assert advice in html, advice


def test_an_over_long_text_is_refused_with_a_message_and_nothing_is_lost(client_as):
    admin = client_as(roles.ADMIN)
    response = admin.post(EDIT, _form(body_es="x" * 50_001, title_en="Kept title", save="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kept title" in html and "errorlist" in html
    assert not Guide.objects.exists()
