"""Gateway webhooks: /ch/<type>/<channel uuid>/[<action>/]."""

from django.urls import path

from testigo.channels import views

app_name = "channels"
urlpatterns = [
    path("<slug:type_code>/<uuid:channel_uuid>/", views.webhook, name="webhook"),
    path("<slug:type_code>/<uuid:channel_uuid>/<slug:action>/", views.webhook, name="webhook_action"),
]
