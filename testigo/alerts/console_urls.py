"""Staff alert pages, mounted at /console/alerts/ (before the console include)."""

from django.urls import path

from testigo.alerts import console_views as views

app_name = "alerts_console"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.alert_action, name="action"),
    path("broadcast/", views.broadcast_new, name="broadcast"),
    path("zones/", views.zone_list, name="zones"),
    path("zones/shapes/", views.zone_shapes, name="zone_shapes"),
    path("zones/<int:pk>/delete/", views.zone_delete, name="zone_delete"),
    path("rules/", views.rule_list, name="rules"),
]
