"""Webhook pages, mounted at /console/webhooks/ (before the console include)."""

from django.urls import path

from testigo.webhooks import console_views as views

app_name = "webhooks_console"
urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("<int:pk>/", views.webhook_detail, name="detail"),
    path("<int:pk>/deliveries/<int:delivery_id>/replay/", views.delivery_replay, name="replay"),
    path("<int:pk>/<str:action>/", views.webhook_action, name="action"),
]
