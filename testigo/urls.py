from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("ch/", include("testigo.channels.urls")),
    path("console/messages/", include("testigo.channels.console_urls")),
    path("tip/", include("testigo.tipline.urls")),
    path("console/tips/", include("testigo.tipline.console_urls")),
    path("odk/", include("testigo.surveys.odk_urls")),
    path("console/surveys/", include("testigo.surveys.console_urls")),
    path("console/alerts/", include("testigo.alerts.console_urls")),
    path("console/tokens/", include("testigo.api.console_urls")),
    path("console/stories/", include("testigo.stories.console_urls")),
    path("console/webhooks/", include("testigo.webhooks.console_urls")),
    path("console/", include("testigo.console.urls")),
    path("api/", include("testigo.api.urls")),
    path("alerts/", include("testigo.alerts.urls")),
    path("", include("testigo.stories.urls")),
    path("", include("testigo.public.urls")),
]
