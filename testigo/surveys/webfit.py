"""What Testigo's own web form can do with an uploaded XLSForm.

ODK Collect and Enketo receive pyxform's XForm unchanged, whatever it uses. Testigo's web form
(no JavaScript) renders a form only when it can do so faithfully: every question, condition,
constraint and default in Testigo's field specs (fieldtypes.py, schema.py). `fit(outline)` gives

- the field specs the console, inbox columns and the report use to show answers (every question
  outside repeats, each as the closest Testigo type), and
- the blockers: why the web form cannot render the form, as (code, question) pairs that
  `describe_blocker` words in the reader's language. No blocker: the web form may offer it.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.surveys import fieldtypes, schema, xform

# Input datatypes Testigo's web form asks for, by the XForm bind type.
_INPUT_TYPES = {"string": "text", "int": "integer", "decimal": "decimal", "date": "date", "time": "time",
                "dateTime": "datetime", "geopoint": "location"}
# Filled by the phone, never asked (jr:preload / jr:preloadParams): Testigo's type, if it has one.
_PRELOAD_TYPES = {"start": "start", "end": "end", "today": "today", "deviceid": "deviceid"}
# Shown in the console as the closest type when the web form cannot ask them.
_SHOWN_AS = {"barcode": "text", "geotrace": "text", "geoshape": "text", "int": "integer", "decimal": "decimal"}
BLOCKERS = {
    "repeat": gettext_lazy("repeated group"),
    "type": gettext_lazy("question type the web form cannot ask (%(what)s)"),
    "choices": gettext_lazy("choices that depend on other answers or come from a file"),
    "choice_name": gettext_lazy("choice name with spaces or accents"),
    # xgettext:no-python-brace-format
    "relevant": gettext_lazy("condition richer than ${field} = 'value'"),
    "constraint": gettext_lazy("constraint the web form cannot check"),
    "required": gettext_lazy("required only under a condition"),
    "calculated": gettext_lazy("answer calculated from other answers"),
    "default": gettext_lazy("default computed on the phone"),
    "label": gettext_lazy("label that shows other answers"),
    "name": gettext_lazy("question name Testigo cannot keep as a field"),
    "readonly": gettext_lazy("read-only question"),
}
# pyxform writes ${x} as " /data/x " or " ../x " (one space each side).
_PATH_REF = re.compile(r" ?(?:/[A-Za-z_][\w.-]*)+/([A-Za-z_][\w.-]*) ?| ?(?:\.\./)+([A-Za-z_][\w.-]*) ?")


def describe_blocker(code: str, question: str, what: str = "") -> str:
    if code == "check":
        return what
    text = str(BLOCKERS.get(code, code)) % {"what": what}
    return _("“%(question)s”: %(why)s") % {"question": question, "why": text} if question else text


def as_xlsform_references(expression: str) -> str:
    """pyxform writes ${edad} as /data/edad or ../edad: back to ${edad}, as Testigo's own
    conditions and constraints are written."""
    return _PATH_REF.sub(lambda m: "${" + (m[1] or m[2]) + "}", expression).strip()


def _texts(texts: dict) -> dict[str, str]:
    out = {lang: xform.text_in(texts, lang) for lang in fieldtypes.LANGS}
    return {lang: text for lang, text in out.items() if text}


class _Fitter:
    def __init__(self):
        self.fields: list[dict] = []
        self.blockers: list[list[str]] = []
        self.names: set[str] = set()

    def block(self, code: str, node: dict, what: str = "") -> None:
        entry = [code, node.get("path", ""), what]
        if entry not in self.blockers:
            self.blockers.append(entry)

    def name_for(self, node: dict) -> str:
        name = node["name"] if node["name"] not in self.names else node["path"]
        if not fieldtypes.NAME_RE.match(name) or name in fieldtypes.RESERVED_NAMES:
            self.block("name", node)
        self.names.add(name)
        return name

    def nodes(self, nodes: list[dict]) -> None:
        for node in nodes:
            if node["kind"] == "repeat":
                self.block("repeat", node)
            elif node["kind"] == "group":
                self.group(node)
            else:
                self.question(node)

    def group(self, node: dict) -> None:
        if xform.is_protocol_meta(node):
            return
        relevant = (node.get("bind") or {}).get("relevant", "")
        condition = schema.parse_relevant(as_xlsform_references(relevant)) if relevant else None
        if relevant and condition is None:
            self.block("relevant", node)
        label = _texts(node.get("label") or {})
        if not label and not relevant:  # a group without a label or condition only nests names
            self.nodes(node.get("children", []))
            return
        self.fields.append({"name": self.name_for(node), "type": "begin_group", "label": label, "hint": {},
                            "required": False, "appearance": "", "relevant": condition})
        self.nodes(node.get("children", []))
        self.fields.append({"name": "", "type": "end_group"})

    def question(self, node: dict) -> None:
        kind, shown_as = self.kind_of(node)
        if kind is None:
            return
        bind = node.get("bind") or {}
        spec = {"name": self.name_for(node), "type": kind, "label": _texts(node.get("label") or {}),
                "hint": _texts(node.get("hint") or {}), "required": bind.get("required", "").strip() == "true()",
                "appearance": node.get("appearance", "") if kind != "long_text" else "", "relevant": None,
                "path": node["path"]}
        if shown_as:
            spec["xform_type"] = shown_as
        if node.get("choices") is not None and fieldtypes.get(kind).choices:
            spec["choices"] = [{"name": c["name"], "label": _texts(c.get("label") or {})} for c in node["choices"]]
            if any(not re.match(r"^[A-Za-z0-9_.-]{1,64}$", c["name"]) for c in node["choices"]):
                self.block("choice_name", node)
        self.conditions(node, spec, bind)
        if any("${" in text for text in (node.get("label") or {}).values()):
            self.block("label", node)
        self.fields.append(spec)

    def kind_of(self, node: dict) -> tuple[str | None, str]:
        """(Testigo type, what the XForm calls it when that differs); None: not a field."""
        bind, control, datatype = node.get("bind") or {}, node.get("control", ""), node.get("datatype", "string")
        if not control:
            preload = bind.get("preloadParams") or bind.get("preload", "")
            if preload in _PRELOAD_TYPES:
                return _PRELOAD_TYPES[preload], ""
            if bind.get("calculate") or preload or node.get("action"):
                return "calculate", preload or "calculate"
            return ("calculate", "hidden") if node.get("default") else (None, "")
        if control == "trigger" or (bind.get("readonly", "").strip() == "true()" and not bind.get("calculate")
                                    and control == "input"):
            if control == "trigger":
                self.block("type", node, "acknowledge")
                return "text", "acknowledge"
            return "note", ""
        if control in {"select1", "select"}:
            if node.get("choices") is None or node.get("choice_source"):
                self.block("choices", node)
            if node.get("choices") is None:
                return "text", control
            return ("select_one" if control == "select1" else "select_multiple"), ""
        if control == "upload":
            media = node.get("mediatype", "")
            if media.startswith("image/"):
                return "photo", ""
            if media in {"application/*", "*/*", ""}:
                return "file", ""
            self.block("type", node, media or "file")
            return "file", media
        if control == "input" and datatype in _INPUT_TYPES:
            kind = _INPUT_TYPES[datatype]
            if kind == "text" and "multiline" in node.get("appearance", "").split():
                kind = "long_text"
            return kind, ""
        self.block("type", node, control if control != "input" else datatype)
        return _SHOWN_AS.get(datatype, "text"), control if control != "input" else datatype

    def conditions(self, node: dict, spec: dict, bind: dict) -> None:
        if bind.get("relevant"):
            spec["relevant"] = schema.parse_relevant(as_xlsform_references(bind["relevant"]))
            if spec["relevant"] is None:
                self.block("relevant", node)
        if bind.get("required", "").strip() not in ("", "true()", "false()"):
            self.block("required", node)
        if bind.get("readonly", "").strip() not in ("", "true()", "false()"):
            self.block("readonly", node)
        if bind.get("constraint"):
            spec["constraint"] = as_xlsform_references(bind["constraint"])
            if isinstance(bind.get("constraintMsg"), dict):
                spec["constraint_message"] = _texts(bind["constraintMsg"])
            if not schema.constraint_fits(spec):
                self.block("constraint", node)
        if bind.get("calculate"):
            spec["calculation"] = as_xlsform_references(bind["calculate"])
            if spec["type"] != "calculate":
                self.block("calculated", node)
        if node.get("action") and spec["type"] != "calculate":
            self.block("default", node)
        elif node.get("default") and spec["type"] != "calculate":
            spec["default"] = node["default"]
            try:
                value = fieldtypes.parse_value(spec, node["default"])
            except fieldtypes.FieldValueError:
                self.block("default", node)
            else:  # as the web form shows it: Excel's typed date cell arrives as "2024-05-01 00:00:00"
                spec["default"] = " ".join(value) if isinstance(value, list) else str(value)


def fit(outline: dict) -> tuple[list[dict], list[list[str]]]:
    """(field specs, blockers) for a form's outline; see the module docstring."""
    fitter = _Fitter()
    fitter.nodes(outline.get("nodes", []))
    if not fitter.blockers:
        problems = schema.validate_fields([_without_path(f) for f in fitter.fields])
        if problems:  # what only the field checker sees (a default that breaks its constraint, ...)
            fitter.block("check", {"path": ""}, problems[0])
    return fitter.fields, fitter.blockers


def _without_path(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k not in {"path", "xform_type"}}
