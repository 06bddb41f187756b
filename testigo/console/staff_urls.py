"""The moderation console: login, inbox, report page and actions, settings, audit trail."""

from django.urls import path

from testigo.console import admin_views, backup_views, help_views, report_views, twofactor_views, views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk/", views.inbox_bulk, name="inbox_bulk"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_view, name="password"),
    path("login/code/", twofactor_views.code_view, name="twofactor_code"),
    path("2fa/", twofactor_views.overview, name="twofactor"),
    path("2fa/set-up/", twofactor_views.enrol_view, name="twofactor_enrol"),
    path("2fa/recovery-codes/", twofactor_views.recovery_codes, name="twofactor_recovery_codes"),
    path("2fa/off/", twofactor_views.disable, name="twofactor_disable"),
    path("2fa/settings/", twofactor_views.settings_view, name="twofactor_settings"),
    path("2fa/settings/<int:user_id>/reset/", twofactor_views.reset, name="twofactor_reset"),
    path("r/<str:reference>/", report_views.report_page, name="report"),
    path("r/<str:reference>/edit/", report_views.report_edit, name="report_edit"),
    path("r/<str:reference>/note/", report_views.report_note, name="report_note"),
    path("r/<str:reference>/status/", report_views.report_status, name="report_status"),
    path("r/<str:reference>/merge/", report_views.report_merge, name="report_merge"),
    path("r/<str:reference>/redact/", report_views.report_redact, name="report_redact"),
    path("r/<str:reference>/media/<int:media_id>/public/", report_views.media_public, name="media_public"),
    path("r/<str:reference>/inbound-media/<int:item_id>/retry/", report_views.inbound_media_retry,
         name="inbound_media_retry"),
    path("media/<int:media_id>/", report_views.media_file, name="media"),
    path("categories/", admin_views.categories, name="categories"),
    path("categories/new/", admin_views.category_edit, name="category_new"),
    path("categories/<int:category_id>/", admin_views.category_edit, name="category_edit"),
    path("help-services/", help_views.help_service_list, name="help_services"),
    path("help-services/new/", help_views.help_service_edit, name="help_service_new"),
    path("help-services/<int:service_id>/", help_views.help_service_edit, name="help_service_edit"),
    path("users/", admin_views.users, name="users"),
    path("users/<int:user_id>/role/", admin_views.user_role, name="user_role"),
    path("users/<int:user_id>/active/", admin_views.user_active, name="user_active"),
    path("audit/", admin_views.audit_trail, name="audit"),
    path("backups/", backup_views.backups, name="backups"),
]
