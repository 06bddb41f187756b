"""Real-world XLSForms kept for tests and benches carry their source and licence beside them."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "xlsform_corpus"


def test_every_corpus_folder_says_where_its_forms_come_from_and_under_which_licence():
    forms = [p for p in CORPUS.rglob("*") if p.suffix.lower() in {".xls", ".xlsx"}]
    assert forms, "the corpus is empty"
    for folder in {p.parent for p in forms}:
        source = (folder / "SOURCE.md").read_text(encoding="utf-8")
        assert "Source:" in source and "Licence:" in source, folder
        assert (folder / "LICENSE").exists() or "public domain" in source.lower(), folder
