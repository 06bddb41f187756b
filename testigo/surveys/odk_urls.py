"""OpenRosa endpoints, mounted at /odk/ (token in the URL, or HTTP Basic without it)."""

from django.urls import path

from testigo.surveys import openrosa

app_name = "odk"

_endpoints = [
    ("formList", openrosa.form_list, "form_list"),
    ("forms/<str:form_id>/form.xml", openrosa.form_xml, "form_xml"),
    ("forms/<str:form_id>/manifest", openrosa.manifest, "manifest"),
    ("forms/<str:form_id>/media/<str:name>", openrosa.media_file, "media_file"),
    ("submission", openrosa.submission, "submission"),
]

urlpatterns = [path(route, view, name=f"basic_{name}") for route, view, name in _endpoints] + [
    path(f"<str:token>/{route}", view, name=name) for route, view, name in _endpoints
]
