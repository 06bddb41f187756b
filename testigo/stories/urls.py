"""Public story pages and the stories' Atom feed, mounted at the site root."""

from django.urls import path

from testigo.stories import feeds, views

app_name = "stories"
urlpatterns = [
    path("stories/", views.story_index, name="index"),
    path("stories/<slug:slug>/", views.story_page, name="story"),
    path("feeds/stories.atom", feeds.StoriesFeed(), name="feed"),
]
