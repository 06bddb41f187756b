"""Public site URLs: the map pages (map_urls) and the report pages (site_urls)."""

from testigo.public import map_urls, site_urls

app_name = "public"
urlpatterns = map_urls.urlpatterns + site_urls.urlpatterns
