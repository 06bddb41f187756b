from django.apps import AppConfig


class TiplineConfig(AppConfig):
    name = "testigo.tipline"
    label = "tipline"
    verbose_name = "Tip line"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from testigo.core.signals import staff_password_changed, staff_password_verified
        from testigo.reports import recordings
        from testigo.tipline import receivers, sealing

        staff_password_verified.connect(receivers.unlock_on_login, dispatch_uid="tipline-unlock")
        staff_password_changed.connect(receivers.rewrap_on_password_change, dispatch_uid="tipline-rewrap")
        user_logged_out.connect(receivers.lock_on_logout, dispatch_uid="tipline-lock")
        # Recordings' originals kept for evidence are sealed to the tip-line key (reports cannot import us).
        recordings.SEALER.available, recordings.SEALER.seal = sealing.available, sealing.seal
        recordings.SEALER.opener = sealing.opener
