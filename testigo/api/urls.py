from django.urls import path

from testigo.api.api import api
from testigo.api.views import docs_view

app_name = "api"
urlpatterns = [
    path("v1/docs", docs_view, name="docs"),
    path("v1/", api.urls),
]
