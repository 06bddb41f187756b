from django.urls import path
from django.views.generic import TemplateView

# Placeholder until the map home page lands (issue 3).
urlpatterns = [path("", TemplateView.as_view(template_name="public/home.html"), name="home")]
