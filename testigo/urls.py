from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("console/", include("testigo.console.urls")),
    path("api/", include("testigo.api.urls")),
    path("", include("testigo.public.urls")),
]
