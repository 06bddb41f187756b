"""The self-hosted API docs page (no CDN): endpoints listed from the OpenAPI schema."""

from __future__ import annotations

from django.shortcuts import render

from testigo.api.api import api


def docs_view(request):
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    endpoints = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            endpoints.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                              "params": [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"],
                              "tags": op.get("tags", [])})
    return render(request, "api/docs.html", {"endpoints": endpoints, "info": schema["info"]})
