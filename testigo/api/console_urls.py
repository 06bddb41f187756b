"""The console's API-token pages (/console/tokens/), served by the api app that owns tokens."""

from django.urls import path

from testigo.api import console_views

app_name = "api_console"

urlpatterns = [
    path("", console_views.tokens, name="tokens"),
    path("<int:token_id>/revoke/", console_views.token_revoke, name="token_revoke"),
]
