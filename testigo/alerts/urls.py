"""Public alert pages, mounted at /alerts/."""

from django.urls import path

from testigo.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
]
