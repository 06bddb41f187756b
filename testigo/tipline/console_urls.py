"""Staff tip-line pages under /console/tips/ (included before the console's own routes)."""

from django.urls import path

from testigo.tipline import console_views as views

app_name = "tipconsole"
urlpatterns = [
    path("", views.tip_list, name="list"),
    path("setup/", views.setup, name="setup"),
    path("unlock/", views.unlock, name="unlock"),
    path("recover/", views.recover, name="recover"),
    path("rotate/", views.rotate, name="rotate"),
    path("rotate/continue/", views.rotate_continue, name="rotate_continue"),
    path("access/", views.access, name="access"),
    path("access/<int:user_id>/revoke/", views.revoke, name="revoke"),
    path("access/originals/", views.keep_originals, name="keep_originals"),
    path("<int:tip_id>/", views.tip_page, name="tip"),
    path("<int:tip_id>/reply/", views.tip_reply, name="reply"),
    path("<int:tip_id>/keep/", views.tip_keep, name="keep"),
    path("<int:tip_id>/report/", views.tip_to_report, name="to_report"),
    path("file/<int:file_id>/", views.tip_file, name="file"),
]
