"""The self-hosted API docs page (no CDN): endpoints listed from the OpenAPI schema."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from testigo.api.api import api


def _answer(status, response: dict) -> str:
    """`200 ReportPage`, `404 Error`, `200 text/csv`: a status and the body it carries."""
    for media_type, content in response.get("content", {}).items():
        ref = content.get("schema", {}).get("$ref", "")
        return f"{status} {ref.rsplit('/', 1)[-1] if ref else media_type}"
    return str(status)


def docs_view(request):
    # The OpenAPI JSON keeps the English summaries (gettext_noop in the routers); this page, read
    # by people, shows them in the page's language.
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    endpoints = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            summary = op.get("summary")
            endpoints.append({"method": method.upper(), "path": path, "summary": _(summary) if summary else "",
                              "params": [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"],
                              "answers": [_answer(status, response) for status, response in op["responses"].items()],
                              "tags": op.get("tags", [])})
    return render(request, "api/docs.html", {"endpoints": endpoints, "info": schema["info"]})
