"""XLSForm in both directions, through pyxform (the reference converter).

`to_xform(survey)` builds an XLSForm (as pyxform's dict of sheets) from the survey's fields and
converts it to the XForm ODK Collect downloads. `read_xlsform(data)` reads an uploaded .xlsx into
field specs; anything Testigo cannot keep is reported with its sheet, row and column, in a
translated sentence, instead of being silently dropped.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from testigo.core import archives
from testigo.surveys import fieldtypes, schema, tabular

LANG_COLUMNS = {"es": "Español (es)", "en": "English (en)"}
DEFAULT_LANGUAGE = LANG_COLUMNS["es"]
# Columns we read; any other column with a value is reported as unsupported.
# Media shown with a question or a choice (`media::image`, or just `image`), by language like labels.
MEDIA_KINDS = ("image", "big-image", "audio", "video")
SURVEY_COLUMNS = {"type", "name", "label", "hint", "required", "relevant", "appearance", "constraint",
                  "constraint_message", "default", "calculation", "media", *MEDIA_KINDS}
CHOICE_COLUMNS = {"list_name", "list name", "name", "label", "media", *MEDIA_KINDS}
SETTINGS_COLUMNS = {"form_title", "form_id", "version", "default_language"}
_LANG_RE = re.compile(r"^(label|hint|constraint_message)(?:::(.+))?$")


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


# ---------------------------------------------------------------- uploaded .xlsx -> fields
@dataclass
class ParsedForm:
    fields: list[dict]
    title: str = ""
    form_id: str = ""
    version: str = ""
    default_lang: str = "es"
    errors: list[str] = field(default_factory=list)


def _sheet_rows(workbook, name: str) -> tuple[list[str], list[tuple[int, dict]]]:
    sheet = next((workbook[s] for s in workbook.sheetnames if s.strip().lower() == name), None)
    if sheet is None:
        return [], []
    # Sheets are often formatted far past their data (1,048,576 rows × 1,024 columns): only the
    # header's own columns are read, and a row with nothing in them is skipped at once.
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    out = []
    for number, values in enumerate(rows, start=2):
        values = values[:width]
        if not any(v is not None and v != "" for v in values):
            continue
        texts = [tabular.cell_text(v).strip() for v in values]
        cells = {header[i]: text for i, text in enumerate(texts) if header[i] and text}
        if cells:
            out.append((number, cells))
    return header, out


def _where(sheet: str, row: int, header: list[str], column: str) -> str:
    letter = _column_letter(header.index(column)) if column in header else "?"
    return _("sheet “%(sheet)s”, row %(row)s, column %(letter)s (%(column)s)") % {
        "sheet": sheet, "row": row, "letter": letter, "column": column}


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _language_of(column: str, default_lang: str) -> str | None:
    match = _LANG_RE.match(column)
    if not match:
        return None
    return _language_code(match[2]) if match[2] else default_lang


def _language_code(name: str) -> str | None:
    """"Español (es)", "es", "Spanish" -> "es"; None for languages Testigo does not keep."""
    name = name.strip().lower()
    code = re.search(r"\(([a-z]{2})[^)]*\)\s*$", name)
    name = code[1] if code else name
    lang = {"spanish": "es", "español": "es", "espanol": "es", "english": "en"}.get(name, name)
    return lang if lang in fieldtypes.LANGS else None


def _texts(cells: dict, prefix: str, default_lang: str, where, problems: list[str]) -> dict:
    texts = {}
    for column, value in cells.items():
        if column == prefix or column.startswith(prefix + "::"):
            lang = _language_of(column, default_lang)
            if lang is None:
                problems.append(_("%(where)s: only Spanish and English labels are supported.")
                                % {"where": where(column)})
            else:
                texts[lang] = value
    return texts


def _media(cells: dict, default_lang: str, where, problems: list[str]) -> dict:
    """{"image": {"es": "mapa.png", "en": "map.png"}} from media::image[::language] columns."""
    media: dict[str, dict] = {}
    for column, value in cells.items():
        parts = [p.strip() for p in column.split("::")]
        prefixed = parts[0].lower() == "media"
        parts = parts[1:] if prefixed else parts
        if not parts or parts[0].lower() not in MEDIA_KINDS:
            if prefixed:
                problems.append(_("%(where)s: the column “%(column)s” is not supported yet.")
                                % {"where": where(column), "column": column})
            continue
        lang = _language_code(parts[1]) if len(parts) > 1 else default_lang
        if lang is None:
            problems.append(_("%(where)s: only Spanish and English labels are supported.") % {"where": where(column)})
            continue
        name = value.removeprefix("jr://images/").removeprefix("jr://audio/").removeprefix("jr://video/")
        media.setdefault(parts[0].lower(), {})[lang] = name
    return media


def _unsupported_columns(cells: dict, allowed: set[str], where, problems: list[str]) -> None:
    for column in cells:
        base = column.split("::", 1)[0].strip().lower()
        if base not in allowed:
            problems.append(_("%(where)s: the column “%(column)s” is not supported yet.")
                            % {"where": where(column), "column": column})


def read_xlsform(data: bytes) -> ParsedForm:
    """Read an XLSForm; raises XLSFormError listing every problem (row and column named)."""
    from openpyxl import load_workbook

    try:
        archives.check_zip(data)  # before openpyxl or pyxform inflate anything
    except archives.UnsafeArchive as exc:
        raise XLSFormError(exc.messages) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a file that is not .xlsx
        raise XLSFormError([_("This file is not an .xlsx spreadsheet.")]) from None
    problems: list[str] = []
    parsed = _read_settings(workbook, problems)
    choices = _read_choices(workbook, problems, parsed.default_lang)
    parsed.fields = _read_survey(workbook, choices, problems, parsed.default_lang)
    if not problems:
        problems += schema.validate_fields(parsed.fields)
    if not problems:
        problems += _pyxform_problems(data)
    if problems:
        raise XLSFormError(problems)
    return parsed


def _read_settings(workbook, problems: list[str]) -> ParsedForm:
    header, rows = _sheet_rows(workbook, "settings")
    parsed = ParsedForm(fields=[])
    for number, cells in rows[:1]:
        _unsupported_columns(cells, SETTINGS_COLUMNS, lambda c, n=number: _where("settings", n, header, c), problems)
        parsed.title = cells.get("form_title", "")
        parsed.form_id = cells.get("form_id", "")
        parsed.version = cells.get("version", "")
        if cells.get("default_language"):
            parsed.default_lang = _language_code(cells["default_language"]) or "es"
    return parsed


def _read_choices(workbook, problems: list[str], default_lang: str) -> dict[str, list[dict]]:
    header, rows = _sheet_rows(workbook, "choices")
    lists: dict[str, list[dict]] = {}
    for number, cells in rows:
        def where(column, n=number):
            return _where("choices", n, header, column)
        _unsupported_columns(cells, CHOICE_COLUMNS, where, problems)
        list_name = cells.get("list_name") or cells.get("list name", "")
        choice = {"name": cells.get("name", ""), "label": _texts(cells, "label", default_lang, where, problems)}
        media = _media(cells, default_lang, where, problems)
        if media:
            choice["media"] = media
        lists.setdefault(list_name, []).append(choice)
    return lists


def _read_survey(workbook, choices: dict, problems: list[str], default_lang: str) -> list[dict]:
    header, rows = _sheet_rows(workbook, "survey")
    if "type" not in header:
        problems.append(_("The spreadsheet has no “survey” sheet with a “type” column."))
        return []
    fields = []
    for number, cells in rows:
        def where(column, n=number):
            return _where("survey", n, header, column)
        spec = _read_survey_row(cells, choices, where, problems, default_lang)
        if spec is not None:
            fields.append(spec)
    return fields


def _read_survey_row(cells: dict, choices: dict, where, problems: list[str], default_lang: str) -> dict | None:
    _unsupported_columns(cells, SURVEY_COLUMNS, where, problems)
    type_cell = cells.get("type", "")
    ftype, list_name = fieldtypes.from_xlsform(type_cell, cells.get("appearance", ""))
    if ftype is None and type_cell.replace(" ", "_").lower() in {"begin_repeat", "end_repeat"}:
        problems.append(_("%(where)s: repeated groups (“%(type)s”) are not supported yet; ask for a fixed "
                          "number of items, or use a separate form per item.")
                        % {"where": where("type"), "type": type_cell})
        return None
    if ftype is None:
        problems.append(_("%(where)s: the type “%(type)s” is not supported yet.")
                        % {"where": where("type"), "type": type_cell})
        return None
    spec = {"name": cells.get("name", ""), "type": ftype.key,
            "label": _texts(cells, "label", default_lang, where, problems),
            "hint": _texts(cells, "hint", default_lang, where, problems),
            "required": cells.get("required", "").lower() in {"yes", "true", "true()", "1"},
            "appearance": "" if ftype.appearance else cells.get("appearance", ""), "relevant": None}
    if ftype.choices:
        if list_name not in choices:
            problems.append(_("%(where)s: the choice list “%(list)s” is not in the choices sheet.")
                            % {"where": where("type"), "list": list_name})
        spec["choices"] = choices.get(list_name, [])
    media = _media(cells, default_lang, where, problems)
    if media:
        spec["media"] = media
    for key in ("constraint", "default", "calculation"):
        if cells.get(key):
            spec[key] = cells[key]
    message = _texts(cells, "constraint_message", default_lang, where, problems)
    if message:
        spec["constraint_message"] = message
    problems += schema.constraint_errors(spec, where)
    if cells.get("relevant"):
        spec["relevant"] = schema.parse_relevant(cells["relevant"])
        if spec["relevant"] is None:
            problems.append(_("%(where)s: only conditions like ${field} = 'value' or selected(${field}, 'value') "
                              "are supported.") % {"where": where("relevant")})
    return spec


def _pyxform_problems(data: bytes) -> list[str]:
    """pyxform's own verdict on the original file (it knows the spec better than we do)."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        convert(xlsform=io.BytesIO(data), file_type=".xlsx", warnings=[])
    except PyXFormError as exc:
        return [_("The XLSForm converter reports: %(message)s") % {"message": str(exc)}]
    return []
