"""The phrases a moderator hides from the public have one name on the report page, in the field,
its button and its message: "frases ocultas" in Spanish, "hidden phrases" in English (not
"fragmentos ocultos" beside "Frases ocultas", nor "redactions")."""

from __future__ import annotations

import pytest
from django.test import Client

from testigo.core import roles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "field", "button", "saved"), [
    ("es", "Frases ocultas al público", "Guardar frases ocultas", "Frases ocultas guardadas."),
    ("en", "Phrases hidden from the public", "Save hidden phrases", "Hidden phrases saved."),
])
def test_promise_hidden_phrases_have_one_name(make_user, report_factory, language, field, button, saved):
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(make_user(roles.ADMIN, username="ana"))
    report = report_factory(title="Asalto a María")
    html = client.get(f"/console/r/{report.reference}/").content.decode()
    assert field in html and button in html
    assert "fragmentos" not in html and "redaction" not in html.lower()
    response = client.post(f"/console/r/{report.reference}/redact/", {"phrases": "María"}, follow=True)
    assert any(str(m).startswith(saved) for m in response.context["messages"])
