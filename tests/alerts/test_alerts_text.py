"""Alert texts fit one GSM-7 SMS where possible and carry the link to the public report."""

from __future__ import annotations

from testigo.alerts import text
from testigo.channels import encoding


def test_report_alert_with_accents_and_a_long_title_fits_one_gsm7_sms(settings):
    settings.ALERT_LINK_BASE = "https://testigo.example.org"
    title = "Balacera en la colonia Centroamérica, frente a la escuela pública, varios heridos según vecinos " * 2
    sms = text.report_alert(language="es", scheme="tel", category="Violencia armada", title=title,
                            reference="T-ABCD-1234")
    info = encoding.count(sms)
    assert (info.segments, info.encoding) == (1, "GSM-7")
    assert sms.endswith("https://testigo.example.org/r/T-ABCD-1234/") and "..." in sms


def test_telegram_and_email_alerts_keep_accents_and_the_whole_title():
    title = "Inundación en la colonia Río Grande"
    message = text.report_alert(language="es", scheme="telegram", category="Desastre", title=title, reference="T-1")
    assert title in message


def test_fold_ignores_accents_case_and_spacing():
    assert text.fold("  Comayagüela   CENTRO ") == text.fold("comayaguela centro")
