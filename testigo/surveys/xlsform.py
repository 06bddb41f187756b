"""XLSForm in both directions, through pyxform (the reference converter).

`to_xform(survey)` builds an XLSForm (as pyxform's dict of sheets) from a console-built survey's
fields and converts it to the XForm ODK Collect downloads. `convert_xlsform(data)` converts an
uploaded .xlsx or .xls: whatever pyxform accepts is served as pyxform wrote it, and Testigo
reads the result (xform.py) rather than the spreadsheet, so it never refuses a feature it does
not itself understand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from testigo.core import archives
from testigo.surveys import fieldtypes, schema

LANG_COLUMNS = {"es": "Español (es)", "en": "English (en)"}
DEFAULT_LANGUAGE = LANG_COLUMNS["es"]


class XLSFormError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


# ---------------------------------------------------------------- survey -> XLSForm -> XForm
def _lang_cells(prefix: str, texts: dict | None) -> dict:
    # pyxform needs every language to have a text once any has one: fall back to the other.
    texts = {lang: (texts or {}).get(lang, "").strip() for lang in LANG_COLUMNS}
    fallback = texts["es"] or texts["en"]
    if not fallback:
        return {}
    return {f"{prefix}::{column}": texts[lang] or fallback for lang, column in LANG_COLUMNS.items()}


def xlsform_dict(*, fields: list[dict], form_id: str, title: str, version: int,
                 public_key: str = "") -> dict:
    by_name = {f["name"]: f for f in fields}
    survey_rows, choice_rows = [], []
    for spec in fields:
        ftype = fieldtypes.get(spec["type"])
        if ftype.group == "end":
            survey_rows.append({"type": "end_group"})
            continue
        row = {"type": fieldtypes.xlsform_type(spec), "name": spec["name"]}
        if not ftype.metadata:
            row |= _lang_cells("label", spec.get("label")) | _lang_cells("hint", spec.get("hint"))
        if spec.get("required") and not ftype.metadata and ftype.parse is not None:
            row["required"] = "yes"
        if spec.get("relevant"):
            row["relevant"] = schema.relevant_expression(spec["relevant"], by_name)
        row |= _media_cells(spec)
        for key in ("constraint", "default", "calculation"):
            if spec.get(key) not in (None, ""):
                row[key] = str(spec[key])
        if spec.get("constraint"):
            row |= _lang_cells("constraint_message", spec.get("constraint_message"))
        appearance = spec.get("appearance") or ftype.appearance
        if appearance:
            row["appearance"] = appearance
        survey_rows.append(row)
        for choice in spec.get("choices") or [] if ftype.choices else []:
            choice_rows.append({"list_name": f"{spec['name']}_choices", "name": choice["name"],
                                **_lang_cells("label", choice.get("label")), **_media_cells(choice)})
    settings_row = {"form_title": title, "form_id": form_id, "version": str(version),
                    "default_language": DEFAULT_LANGUAGE}
    if public_key:
        settings_row["public_key"] = public_key
    sheets = {"survey": survey_rows, "settings": [settings_row]}
    if choice_rows:
        sheets["choices"] = choice_rows
    return sheets


def _media_cells(spec: dict) -> dict:
    cells = {}
    for kind, texts in (spec.get("media") or {}).items():
        cells |= _lang_cells(f"media::{kind}", texts)
    return cells


def media_references(fields: list[dict]) -> set[str]:
    """The file names a survey's questions and choices show (the files its manifest needs)."""
    names = set()
    for spec in fields:
        for item in [spec, *(spec.get("choices") or [])]:
            for texts in (item.get("media") or {}).values():
                names.update(name for name in texts.values() if name)
    return names


def to_xform(*, fields: list[dict], form_id: str, title: str, version: int, public_key: str = "",
             validate: bool = False) -> str:
    """The XForm for these fields; `validate=True` also runs ODK Validate (JavaRosa)."""
    from pyxform.xls2xform import convert

    sheets = xlsform_dict(fields=fields, form_id=form_id, title=title, version=version, public_key=public_key)
    return convert(xlsform=sheets, validate=validate, warnings=[]).xform


# ---------------------------------------------------------------- uploaded XLSForm -> served XForm
@dataclass
class Converted:
    """An uploaded XLSForm as Testigo keeps it: pyxform's XForm (served unchanged), its outline,
    the field specs the console shows answers with, and why the web form cannot render it."""

    xform: str
    outline: dict
    fields: list[dict]
    blockers: list[list[str]]
    itemsets: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def form_id(self) -> str:
        return self.outline.get("form_id", "")

    @property
    def version(self) -> str:
        return self.outline.get("version", "")

    @property
    def title(self) -> str:
        return self.outline.get("title", "")


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003)
MAX_FORM_BYTES = 20 * 1024 * 1024  # the largest real forms we have seen weigh 2 MB


def file_kind(data: bytes) -> str | None:
    """".xlsx" or ".xls" by the file's own first bytes (names lie: .xls files saved as .xlsx)."""
    if data[:4] == b"PK\x03\x04":
        return ".xlsx"
    if data[:8] == OLE2_MAGIC:
        return ".xls"
    return None


def convert_xlsform(data: bytes, filename: str = "") -> Converted:
    """Convert an uploaded XLSForm with pyxform and check what pyxform does not: XPath no ODK
    client can parse, dependency cycles. Raises XLSFormError with every problem, translated."""
    import tempfile
    import warnings as python_warnings
    from pathlib import Path

    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    from testigo.surveys import webfit, xform

    kind = file_kind(data)
    if kind is None:
        raise XLSFormError([_("This file is not an XLSForm spreadsheet (.xlsx or .xls).")])
    if len(data) > MAX_FORM_BYTES:
        raise XLSFormError([_("The XLSForm is larger than %(mb)s MB.") % {"mb": MAX_FORM_BYTES // (1024 * 1024)}])
    if kind == ".xlsx":
        try:
            archives.check_zip(data)  # before openpyxl or pyxform inflate anything
        except archives.UnsafeArchive as exc:
            raise XLSFormError(exc.messages) from None
    notes: list[str] = []
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(filename or "form").stem)[:60] or "form"
    with tempfile.TemporaryDirectory() as folder, python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore")  # openpyxl's notes on workbook extensions
        path = Path(folder) / f"{stem}{kind}"  # pyxform names a form without form_id after its file
        path.write_bytes(data)
        try:
            result = convert(xlsform=str(path), warnings=notes, file_type=kind)
        except PyXFormError as exc:
            if "not recognized as a supported type" not in str(exc):  # pyxform's word for "unreadable"
                raise XLSFormError([converter_message(str(exc))]) from None
            unreadable = ""
            unreadable = ""
        except Exception as exc:  # noqa: BLE001 - xlrd/openpyxl/zipfile (and pyxform's own bugs) raise many types
            unreadable = f"{type(exc).__name__}: {str(exc)[:200]}"
        else:
            unreadable = None
    if unreadable is not None:
        message = _("This file could not be read as an XLSForm: it may be damaged, not an XLSForm (.xlsx or .xls), or "
                    "use something the XLSForm converter cannot handle.")
        raise XLSFormError([f"{message} ({unreadable})" if unreadable else message])
    problems = xpath_problems(result.xform)
    if problems:
        raise XLSFormError(problems)
    outline = xform.read_outline(result.xform)
    fields, blockers = webfit.fit(outline)
    notes = [str(w) for w in notes][:50]
    if outline.get("submission_url"):
        # ODK Collect sends this form's submissions to that address, not to Testigo.
        notes.insert(0, _("This form sends its submissions to %(url)s (submission_url in its settings sheet), not to "
                          "this server. Remove submission_url unless that is intended.")
                     % {"url": outline["submission_url"]})
    return Converted(xform=result.xform, outline=outline, fields=fields, blockers=blockers,
                     itemsets=result.itemsets, warnings=notes)


def xpath_problems(xform_text: str) -> list[str]:
    """XPath no ODK client can parse, and dependency cycles (surveys/xpath.py)."""
    try:
        from testigo.surveys import xpath
    except ImportError:  # pragma: no cover - until the checker lands
        return []
    return xpath.check_xform(xform_text)


_ROW = re.compile(r"^\[row\s*:\s*(\d+)\]\s*")


def converter_message(message: str) -> str:
    """pyxform's message, with its "[row : 5]" said in the reader's language."""
    from testigo.surveys import pyxform_messages

    match = _ROW.match(message)
    if match:
        return _("The XLSForm converter reports, at row %(row)s: %(message)s") % {
            "row": match[1], "message": pyxform_messages.translate(message[match.end():])}
    return _("The XLSForm converter reports: %(message)s") % {"message": pyxform_messages.translate(message)}
