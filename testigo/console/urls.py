"""Staff console URLs: the moderation console (staff_urls) and the map/API-token pages (map_urls)."""

from testigo.console import map_urls, staff_urls

app_name = "console"
urlpatterns = staff_urls.urlpatterns + map_urls.urlpatterns
