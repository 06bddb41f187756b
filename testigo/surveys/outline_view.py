"""An uploaded XLSForm's outline and a submission's answers as the console shows them: trees of
questions, groups and repeats with labels in the reader's language (xform.py has the formats).

Pure functions over JSON: the views pass what they read, the templates walk what comes back
(recursively, so a group inside a repeat inside a group reads as it does on the phone).
"""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from testigo.surveys import fieldtypes, webfit, xform

BLOCKER_NAMES_SHOWN = 5  # question names listed per reason before "and N more"


def _lang() -> str:
    return (get_language() or "es")[:2]


def _type_of(node: dict) -> str:
    """The XLSForm-ish type of a question, as its author would recognise it."""
    control, datatype = node.get("control", ""), node.get("datatype", "string")
    if control == "select1":
        return "select_one"
    if control == "select":
        return "select_multiple"
    if control == "upload":
        return node.get("mediatype", "") or "file"
    if control == "trigger":
        return "acknowledge"
    if not control:
        bind = node.get("bind") or {}
        return bind.get("preloadParams") or bind.get("preload") or ("calculate" if bind.get("calculate")
                                                                    else "hidden")
    return datatype


def question_tree(nodes: list[dict]) -> list[dict]:
    """The form's questions for a read-only list: [{name, kind, type, label, children}]."""
    lang = _lang()
    out = []
    for node in nodes:
        if node["kind"] != "question" and xform.is_protocol_meta(node):
            continue
        item = {"name": node["name"], "kind": node["kind"], "label": xform.text_in(node.get("label") or {}, lang)}
        if node["kind"] == "question":
            item["type"] = _type_of(node)
            item["required"] = (node.get("bind") or {}).get("required", "").strip() == "true()"
        else:
            item["children"] = question_tree(node.get("children", []))
        out.append(item)
    return out


def blocker_groups(blockers: list[list[str]]) -> list[dict]:
    """Why the web form cannot render the form, one entry per reason: {reason, names, more}."""
    groups: dict[tuple[str, str], list[str]] = {}
    for code, path, what in blockers:
        groups.setdefault((code, what), [])
        if path:
            groups[(code, what)].append(path.rsplit("/", 1)[-1])
    return [{"reason": webfit.describe_blocker(code, "", what), "names": names[:BLOCKER_NAMES_SHOWN],
             "more": max(0, len(names) - BLOCKER_NAMES_SHOWN)} for (code, what), names in groups.items()]


def answer_tree(outline: dict, data: dict, attachments: dict[str, int | None] | None = None) -> list[dict]:
    """A submission's answers shaped by the outline of the version it was made with; elements the
    outline does not know are shown by name, never dropped. `attachments`: received file names,
    each with the report photo (Media id) made from it, if any."""
    return _answers(outline.get("nodes", []), data, _lang(), attachments or {}, top=True)


def _answers(nodes: list[dict], data: dict, lang: str, files: dict, top: bool = False) -> list[dict]:
    by_name = {n["name"]: n for n in nodes}
    out = []
    for name, value in data.items():
        if top and name == "meta":  # the protocol's bookkeeping (xform.is_protocol_meta)
            continue
        node = by_name.get(name) or {"name": name, "kind": _guess_kind(value), "children": []}
        label = xform.text_in(node.get("label") or {}, lang) or name
        children = node.get("children", [])
        if node["kind"] == "repeat" or isinstance(value, list):
            rows = value if isinstance(value, list) else [value]
            out.append({"kind": "repeat", "name": name, "label": label, "count": len(rows), "instances": [
                {"number": number, "children": _answers(children, row, lang, files) if isinstance(row, dict)
                 else [_question(node, row, lang, files)]} for number, row in enumerate(rows, start=1)]})
        elif isinstance(value, dict):
            out.append({"kind": "group", "name": name, "label": label,
                        "children": _answers(children, value, lang, files)})
        else:
            out.append(_question(node, value, lang, files))
    return out


def _guess_kind(value) -> str:
    return "repeat" if isinstance(value, list) else "group" if isinstance(value, dict) else "question"


def _question(node: dict, value: str, lang: str, files: dict) -> dict:
    item = {"kind": "question", "name": node["name"], "label": xform.text_in(node.get("label") or {}, lang)
            or node["name"], "value": value, "shown": value}
    if not value:
        return item
    if node.get("choices"):
        labels = {c["name"]: xform.text_in(c.get("label") or {}, lang) or c["name"] for c in node["choices"]}
        names = value.split() if node.get("control") == "select" else [value]
        item["shown"] = ", ".join(labels.get(n, n) for n in names)
    elif node.get("datatype") == "geopoint":
        item["point"] = _geopoint(value)
    elif node.get("control") == "upload" or value in files:
        item["file"] = value
        item["received"] = value in files
        item["media_id"] = files.get(value)
    return item


def _geopoint(value: str) -> dict | None:
    """"lat lon altitude accuracy" as ODK sends it (read as the location field type reads it)."""
    try:
        point = fieldtypes.parse_value({"type": "location"}, value)
    except fieldtypes.FieldValueError:
        return None
    return {"lat": point["lat"], "lon": point["lon"], **({"accuracy": point["acc"]} if "acc" in point else {})}


def version_label(version: str) -> str:
    return version or _("(no version)")
