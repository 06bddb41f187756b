"""Public report pages: the citizen form, the list and page of published reports, public photos,
the security guides, and the Atom feeds of published reports."""

from django.urls import path

from testigo.public import dashboard_views, feeds, guide_views, views

urlpatterns = [
    path("report/", views.report_new, name="report_new"),
    path("report/thanks/", views.report_thanks, name="report_thanks"),
    path("reports/", views.report_list, name="report_list"),
    path("dashboard/", dashboard_views.public_dashboard, name="dashboard"),
    path("r/<str:reference>/", views.report_detail, name="report_detail"),
    path("media/p/<int:media_id>/", views.public_media, name="public_media"),
    path("media/p/<int:media_id>/poster.jpg", views.public_media_poster, name="public_media_poster"),
    path("guides/", guide_views.guide_index, name="guides"),
    path("guides/<slug:slug>/", guide_views.guide_page, name="guide"),
    path("help/", views.help_services, name="help_services"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("feeds/reports.atom", feeds.ReportsFeed(), name="feed_reports"),
    path("feeds/reports/category/<slug:slug>.atom", feeds.CategoryReportsFeed(), name="feed_category"),
    path("feeds/reports/zone/<str:zone>.atom", feeds.ZoneReportsFeed(), name="feed_zone"),
]
