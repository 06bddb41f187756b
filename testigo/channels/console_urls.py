"""Staff pages for messaging, mounted at /console/messages/ (before the console include)."""

from django.urls import path

from testigo.channels import console_views

app_name = "channels_console"
urlpatterns = [
    path("reply/<str:reference>/", console_views.reply, name="reply"),
    path("channels/", console_views.channel_list, name="channel_list"),
    path("channels/<int:pk>/", console_views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/simulate/", console_views.simulate_message, name="simulate"),
    path("channels/<int:pk>/templates/", console_views.template_list, name="templates"),
    path("channels/<int:pk>/templates/<int:template_pk>/", console_views.template_edit, name="template_edit"),
]
