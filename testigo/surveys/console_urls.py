"""Staff pages for surveys, devices and imports, mounted at /console/surveys/."""

from django.urls import path

from testigo.surveys import console_views as views
from testigo.surveys import import_views, xlsform_views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_new, name="new"),
    path("upload/", xlsform_views.xlsform_upload, name="upload"),
    path("devices/", views.devices, name="devices"),
    path("devices/<int:pk>/revoke/", views.device_revoke, name="device_revoke"),
    path("rejected/", views.rejected, name="rejected"),
    path("rejected/<int:pk>/body", views.rejected_body, name="rejected_body"),
    path("imports/", import_views.import_list, name="imports"),
    path("imports/<int:pk>/", import_views.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/run/", import_views.import_run, name="import_run"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("imports/<int:pk>/rejected.csv", import_views.import_rejected, name="import_rejected"),
    path("<int:pk>/", views.survey_edit, name="edit"),
    path("<int:pk>/data/", views.survey_data, name="data"),
    path("<int:pk>/submissions/<int:submission_pk>/", xlsform_views.submission_detail, name="submission"),
    path("<int:pk>/submissions/<int:submission_pk>/xml", xlsform_views.submission_xml, name="submission_xml"),
    path("<int:pk>/versions/<int:version_pk>/xlsform", xlsform_views.version_download, name="version_file"),
    path("<int:pk>/encryption/", views.encryption_page, name="encryption"),
    path("<int:pk>/media/", views.media_upload, name="media_upload"),
    path("<int:pk>/media/<int:media_pk>/remove/", views.media_remove, name="media_remove"),
    path("<int:pk>/fields/new/", views.field_edit, name="field_new"),
    path("<int:pk>/fields/<int:index>/", views.field_edit, name="field_edit"),
    path("<int:pk>/fields/<int:index>/move/", views.field_move, name="field_move"),
    path("<int:pk>/fields/<int:index>/remove/", views.field_remove, name="field_remove"),
]
