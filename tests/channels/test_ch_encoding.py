from testigo.alerts.text import ALERT
from testigo.channels import encoding
from testigo.channels.keywords import HELP, REPORT, STOP, parse


def test_gsm7_single_message_holds_160_septets_and_two_parts_hold_153_each():
    assert encoding.count("a" * 160).segments == 1
    assert encoding.count("a" * 161).segments == 2
    assert encoding.count("a" * 306).segments == 2
    assert encoding.count("a" * 307).segments == 3
    assert encoding.count("a" * 160).encoding == encoding.GSM7


def test_extension_characters_count_two_septets():
    info = encoding.count("€" * 80)
    assert (info.encoding, info.units, info.segments) == (encoding.GSM7, 160, 1)
    assert encoding.count("€" * 81).segments == 2


def test_escape_pair_is_never_split_between_parts():
    # 306 septets would fit two parts of 153, but the pair at septets 153-154 cannot straddle
    # the cut (smpplib's byte split does exactly that), so a third part is needed.
    text = "a" * 152 + "{" + "b" * 152
    assert encoding.count(text).units == 306
    assert encoding.count(text).segments == 3
    assert encoding.count("a" * 151 + "{" + "b" * 153).segments == 2


def test_spanish_accents_outside_gsm7_force_ucs2_with_70_and_67():
    info = encoding.count("¿Inundación? sí")
    assert info.encoding == encoding.UCS2
    assert encoding.count("ó" * 70).segments == 1
    assert encoding.count("ó" * 71).segments == 2
    assert encoding.count("ó" * 134).segments == 2
    assert encoding.count("ó" * 135).segments == 3


def test_enye_and_e_acute_stay_in_gsm7():
    assert encoding.count("¡Señor, café! ¿Güero?").encoding == encoding.GSM7


def test_emoji_counts_two_ucs2_units():
    assert encoding.count("🚨").units == 2
    assert encoding.count("🚨" * 35).segments == 1
    assert encoding.count("🚨" * 36).segments == 2


def test_transliteration_keeps_spanish_reply_in_gsm7():
    text = "Recibimos su denuncia. Área: Tegucigalpa, ¿algún herido? “Sí”"
    out = encoding.transliterate(text)
    assert out == "Recibimos su denuncia. Area: Tegucigalpa, ¿algun herido? \"Si\""
    assert encoding.count(out).encoding == encoding.GSM7
    assert encoding.transliterate("ñ é ü") == "ñ é ü"  # already GSM-7: untouched


def test_keywords_are_case_and_accent_insensitive_in_both_languages():
    assert parse("reporte: robo en la parada") == parse("REPORTE robo en la parada")
    assert parse("Repórte: robo").keyword == REPORT
    assert parse("alerta: Comayagüela").keyword == ALERT and parse("Alerta, x").language == "es"
    assert parse("ALERT zone 3").language == "en"
    assert [parse(w).keyword for w in ("baja", "STOP", "Alto", "stop.")] == [STOP] * 4
    assert parse("ayuda").keyword == HELP and parse("Help").language == "en"


def test_message_without_keyword_is_a_report_of_the_whole_text():
    parsed = parse("Hay un incendio en el mercado")
    assert (parsed.keyword, parsed.rest, parsed.language, parsed.explicit) == (
        REPORT, "Hay un incendio en el mercado", None, False)
    assert parse("REPORTE\nbalacera en la colonia").rest == "balacera en la colonia"
