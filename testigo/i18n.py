"""Compile and check the gettext catalogues without GNU gettext (pure Python, polib).

    python -m testigo.i18n compile   # .po -> .mo for every language
    python -m testigo.i18n check     # fail if an entry is untranslated/fuzzy or a .mo is stale
    python -m testigo.i18n fill-en   # English msgstr = msgid (the source strings are English)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("es", "en")


def catalogues() -> list[Path]:
    return [LOCALE_DIR / lang / "LC_MESSAGES" / "django.po" for lang in LANGUAGES]


PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _wrong_placeholders(po_path: Path, entry) -> list[str]:
    """A translation naming a placeholder its source lacks raises KeyError when shown (a guess by
    gettext's fuzzy matching that lost its flag did exactly that); the English catalogue must
    hold the source strings themselves."""
    translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
    if po_path.parent.parent.name == "en":
        source = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        if entry.msgstr_plural and len(translations) >= 2 and translations[:2] != source or (
                not entry.msgid_plural and entry.msgstr and entry.msgstr != entry.msgid):
            return [f"{po_path}: English differs from the source: {entry.msgid!r}"]
        return []
    if "python-format" not in entry.flags:
        return []
    allowed = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
    extra = {name for text in translations for name in PLACEHOLDER.findall(text or "")} - allowed
    return [f"{po_path}: placeholder(s) {sorted(extra)} not in the source: {entry.msgid!r}"] if extra else []


def problems_in(po_path: Path) -> list[str]:
    import polib

    if not po_path.exists():
        return [f"{po_path}: missing"]
    po = polib.pofile(str(po_path))
    plurals = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    forms = int(plurals[1]) if plurals else 2
    out = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            out.append(f"{po_path}: fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            # Every form the language has: Spanish has three (1, millions, other); a missing one
            # makes gettext fall back to English for those counts.
            if not all(entry.msgstr_plural.get(i) for i in range(forms)):
                out.append(f"{po_path}: untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            out.append(f"{po_path}: untranslated: {entry.msgid!r}")
        out += _wrong_placeholders(po_path, entry)
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        out.append(f"{mo_path}: missing (run make messages)")
    else:
        compiled = {(e.msgctxt, e.msgid): e.msgstr or dict(e.msgstr_plural) for e in polib.mofile(str(mo_path))}
        wanted = {(e.msgctxt, e.msgid): e.msgstr or dict(e.msgstr_plural)
                  for e in po.translated_entries() if "fuzzy" not in e.flags}
        if {k: str(v) for k, v in compiled.items() if k[1]} != {k: str(v) for k, v in wanted.items()}:
            out.append(f"{mo_path}: stale (run make messages)")
    return out


def compile_all() -> None:
    import polib

    for po_path in catalogues():
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"compiled {po_path.relative_to(LOCALE_DIR.parent)} ({po.percent_translated()}% translated)")


def fill_english() -> int:
    """Source strings are English: the English catalogue's translation of each is the string itself."""
    import polib

    path = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(path))
    filled = 0
    for entry in po:
        if entry.msgid_plural and not all(entry.msgstr_plural.values()):
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
            filled += 1
        elif not entry.msgid_plural and not entry.msgstr:
            entry.msgstr = entry.msgid
            filled += 1
        if "fuzzy" in entry.flags:  # gettext's guess from a similar string: never right for English
            entry.flags.remove("fuzzy")
            if entry.msgid_plural:
                entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
            else:
                entry.msgstr = entry.msgid
    po.save()
    return filled


def main(argv: list[str]) -> int:
    if argv[:1] == ["fill-en"]:
        print(f"filled {fill_english()} English entries")
        return 0
    if argv[:1] == ["compile"]:
        compile_all()
        return 0
    if argv[:1] == ["check"]:
        problems = [p for po in catalogues() for p in problems_in(po)]
        for problem in problems[:50]:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{len(problems)} catalogue problem(s)", file=sys.stderr)
            return 1
        print("catalogues complete and compiled")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
