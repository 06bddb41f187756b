"""Staff story pages, mounted at /console/stories/ (before the console include)."""

from django.urls import path

from testigo.stories import console_views as views

app_name = "stories_console"
urlpatterns = [
    path("", views.story_list, name="list"),
    path("new/", views.story_edit, name="new"),
    path("<int:pk>/", views.story_edit, name="edit"),
    path("<int:pk>/status/", views.story_status, name="status"),
    path("<int:pk>/evidence/", views.story_evidence, name="evidence"),
]
