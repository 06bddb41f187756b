from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "testigo.surveys"
    label = "surveys"
    verbose_name = _("Surveys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from testigo.reports import exporters, retention
        from testigo.surveys import exports
        from testigo.surveys.models import Submission

        exporters.SURVEY_SHEETS["xlsx"] = exports.report_export_sheets

        def purge(report_ids: list[int]) -> int:
            # A purged report's submission holds its answers: it goes too (attachments cascade).
            Submission.objects.filter(report_id__in=report_ids).delete()
            return 0

        retention.register(retention.Participant(name="surveys", purge=purge))
