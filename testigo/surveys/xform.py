"""Reading an XForm (what pyxform produced and ODK Collect receives) into an outline, and a
submitted instance into answers of any shape.

The XForm is the contract between Testigo, ODK Collect and Enketo: Testigo serves it unchanged
and learns from it only what it needs to store, show and export submissions — the tree of
questions, groups and repeats, each question's type, labels and static choices. Expressions are
never evaluated here.

An outline (JSON, kept with each form version):

    {"form_id": "hogares", "version": "2026-01", "title": "Hogares", "root": "data",
     "languages": ["Español (es)", "English (en)"], "default_language": "Español (es)",
     "nodes": [{"name": "casa", "path": "casa", "kind": "group", "label": {...}, "children": [
                  {"name": "personas", "path": "casa/personas", "kind": "repeat", "children": [...]}]},
               {"name": "edad", "path": "edad", "kind": "question", "datatype": "int",
                "control": "input", "label": {"Español (es)": "Edad"}, ...}],
     "files": ["itemsets.csv", "logo.png"]}

Answers (`instance_answers`) mirror the tree: {"casa": {"personas": [{"nombre": "Ana"}, ...]},
"edad": "34"} — text exactly as sent, a group as a dict, a repeat always as a list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from defusedxml import ElementTree

XF = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"
H = "{http://www.w3.org/1999/xhtml}"
DEFAULT_LANGUAGE = "default"
# Files a form reads from the phone's form-media folder: question and choice media, CSV or
# GeoJSON choice lists (select_one_from_file), pulldata() and external itemsets.
_MEDIA_REF = re.compile(r"jr://(?:images|audio|video|file|file-csv)/([^\"'<>\s)]+)")
_ACTIONS = {"setvalue", "setgeopoint"}  # values set by events (dynamic defaults, start-geopoint)
_BODY_CONTROLS = {"input", "select1", "select", "upload", "trigger", "range", "rank", "textarea", "secret"}
# Bind attributes kept in the outline (the rest are ODK's and the phone's business).
_BIND_KEEP = ("relevant", "calculate", "constraint", "required", "readonly", "preload", "preloadParams",
              "constraintMsg", "requiredMsg", "saveIncomplete")


class XFormError(ValueError):
    """A document that is not an XForm Testigo can read (a bug upstream, never user input)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr(element, name: str) -> str:
    """An attribute by local name, whatever its namespace."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return ""


def read_outline(xform: str) -> dict:
    """The outline of an XForm (see the module docstring)."""
    try:
        html = ElementTree.fromstring(xform.encode("utf-8") if isinstance(xform, str) else xform)
    except Exception as exc:  # defusedxml raises ParseError and its own entity/DTD errors
        raise XFormError(f"not well-formed: {exc}") from None
    head = next((c for c in html if _local(c.tag) == "head"), None)
    body = next((c for c in html if _local(c.tag) == "body"), None)
    model = next((c for c in head if _local(c.tag) == "model"), None) if head is not None else None
    if model is None:
        raise XFormError("no h:head/model")
    instances = [c for c in model if _local(c.tag) == "instance"]
    primary = next((c for c in instances if not c.get("id")), None)
    if primary is None or not len(primary):
        raise XFormError("no primary instance")
    root = primary[0]
    itext, languages, default = _itext(model)
    binds = {b.get("nodeset", ""): b for b in model if _local(b.tag) == "bind"}
    controls = _controls(body) if body is not None else {}
    secondary = {c.get("id"): c for c in instances if c.get("id")}
    actions = {a.get("ref", ""): a for a in html.iter() if _local(a.tag) in _ACTIONS and a.get("ref")}
    context = _Context(itext=itext, binds=binds, controls=controls, secondary=secondary, actions=actions)
    title = next((c.text or "" for c in head if _local(c.tag) == "title"), "")
    submission = next((c for c in model if _local(c.tag) == "submission"), None)
    nodes = [_node(child, f"/{_local(root.tag)}", "", context) for child in _children(root)]
    return {"form_id": root.get("id", ""), "version": root.get("version", ""), "title": title.strip(),
            "root": _local(root.tag), "languages": languages, "default_language": default,
            "public_key": submission.get("base64RsaPublicKey", "") if submission is not None else "",
            "submission_url": submission.get("action", "") if submission is not None else "",
            "nodes": nodes, "files": sorted(set(_MEDIA_REF.findall(xform if isinstance(xform, str)
                                                                     else xform.decode("utf-8"))))}


class _Context:
    def __init__(self, *, itext, binds, controls, secondary, actions):
        self.itext, self.binds, self.controls, self.secondary = itext, binds, controls, secondary
        self.actions = actions


def _itext(model) -> tuple[dict[str, dict[str, str]], list[str], str]:
    """{text id: {language: plain text}}, the languages, the default language."""
    texts: dict[str, dict[str, str]] = {}
    languages, default = [], ""
    for block in (c for c in model if _local(c.tag) == "itext"):
        for translation in (t for t in block if _local(t.tag) == "translation"):
            lang = translation.get("lang", DEFAULT_LANGUAGE)
            languages.append(lang)
            if translation.get("default") or not default:
                default = lang
            for text in translation:
                values = [v for v in text if _local(v.tag) == "value"]
                plain = next((v for v in values if not v.get("form")), None)
                # pyxform writes "-" where a language lacks a translation: that is no text.
                if plain is not None and _text_of(plain) not in ("", "-"):
                    texts.setdefault(text.get("id", ""), {})[lang] = _text_of(plain)
    return texts, languages, default or DEFAULT_LANGUAGE


def _text_of(element) -> str:
    """Text with <output value="..."/> shown as the expression it prints."""
    parts = [element.text or ""]
    for child in element:
        if _local(child.tag) == "output":
            parts.append("${" + (child.get("value") or "").strip().rsplit("/", 1)[-1] + "}")
        parts.append(child.tail or "")
    return "".join(parts).strip()


def _controls(body) -> dict[str, dict]:
    """Body elements by the node they refer to: {"/data/x": {"control": "select1", ...}}."""
    found: dict[str, dict] = {}
    for element in body.iter():
        tag = _local(element.tag)
        ref = element.get("ref") or element.get("nodeset") or ""
        if not ref or tag in _ACTIONS or tag in {"value", "label", "hint", "itemset"}:
            continue
        entry = found.setdefault(ref, {})
        if tag == "repeat":
            entry["repeat"] = {"count": _attr(element, "count"), "noAddRemove": _attr(element, "noAddRemove")}
            continue
        entry.setdefault("element", element)
        entry.setdefault("control", tag)
    return found


def _children(element) -> list:
    """Child elements, with a repeat's template (jr:template) standing for all its copies."""
    seen, out = set(), []
    for child in element:
        name = _local(child.tag)
        if not name:
            continue  # a comment
        if name in seen:
            continue
        template = next((c for c in element if _local(c.tag) == name and (JR + "template") in c.attrib), None)
        seen.add(name)
        out.append(template if template is not None else child)
    return out


def _label(element, context: _Context, tag: str = "label") -> dict[str, str]:
    node = next((c for c in element if _local(c.tag) == tag), None) if element is not None else None
    if node is None:
        return {}
    ref = node.get("ref", "")
    match = re.match(r"jr:itext\('([^']*)'\)", ref)
    if match:
        return {lang: text for lang, text in context.itext.get(match[1], {}).items() if text}
    text = _text_of(node)
    return {DEFAULT_LANGUAGE: text} if text else {}


def _node(element, parent_path: str, parent_rel: str, context: _Context) -> dict:
    name = _local(element.tag)
    absolute, relative = f"{parent_path}/{name}", f"{parent_rel}/{name}".lstrip("/")
    control = context.controls.get(absolute, {})
    bind = context.binds.get(absolute)
    kids = _children(element)
    is_repeat = "repeat" in control or (JR + "template") in element.attrib
    node = {"name": name, "path": relative}
    if kids or is_repeat or control.get("control") == "group":
        node["kind"] = "repeat" if is_repeat else "group"
        node["label"] = _label(control.get("element"), context)
        if is_repeat:
            node["repeat_count"] = (control.get("repeat") or {}).get("count", "")
        node["children"] = [_node(kid, absolute, relative, context) for kid in kids]
        if bind is not None and bind.get("relevant"):
            node["bind"] = {"relevant": bind.get("relevant")}
        return node
    body_element = control.get("element")
    node |= {"kind": "question", "datatype": _local(bind.get("type", "string")) if bind is not None else "string",
             "control": control.get("control", "") if control.get("control") in _BODY_CONTROLS else "",
             "label": _label(body_element, context), "hint": _label(body_element, context, "hint"),
             "appearance": body_element.get("appearance", "") if body_element is not None else "",
             "bind": _bind(bind, context)}
    if (element.text or "").strip():
        node["default"] = element.text.strip()
    action = context.actions.get(absolute)
    if action is not None:
        node["action"] = {"kind": _local(action.tag), "event": action.get("event", ""),
                          "value": action.get("value", "")}
    if body_element is not None and node["control"] == "upload":
        node["mediatype"] = body_element.get("mediatype", "")
    if body_element is not None and node["control"] in {"select1", "select", "rank"}:
        node |= _choices(body_element, context)
    return node


def _bind(bind, context: _Context) -> dict:
    """The bind's kept attributes; messages given as jr:itext('id') become {language: text}."""
    if bind is None:
        return {}
    out: dict = {}
    for key, value in bind.attrib.items():
        name = _local(key)
        if name in _BIND_KEEP and value != "":
            match = re.match(r"jr:itext\('([^']*)'\)$", value.strip()) if name.endswith("Msg") else None
            out[name] = {lang: t for lang, t in context.itext.get(match[1], {}).items() if t} if match else value
    return out


def _choices(element, context: _Context) -> dict:
    """Static choices (inline items, or an itemset over a secondary instance without a filter),
    else where they come from: {"choices": [...]} or {"choice_source": "..."}."""
    items = [c for c in element if _local(c.tag) == "item"]
    if items:
        return {"choices": [{"name": _value_of(item), "label": _label(item, context)} for item in items]}
    itemset = next((c for c in element if _local(c.tag) == "itemset"), None)
    if itemset is None:
        return {"choice_source": "query" if element.get("query") else "unknown"}
    nodeset = itemset.get("nodeset", "")
    match = re.match(r"\s*instance\('([^']+)'\)/root/item\s*(\[.*\])?\s*$", nodeset, re.S)
    if not match:
        return {"choice_source": "expression"}
    instance = context.secondary.get(match[1])
    if instance is None or instance.get("src"):
        return {"choice_source": "file", "choice_instance": match[1]}
    # A choice_filter (cascading select): every choice is in the form, which ones show depends on
    # other answers. The labels are still known, so answers can be shown by label.
    found = _instance_choices(instance, itemset, context)
    return found | {"choice_source": "filtered", "choice_instance": match[1]} if match[2] else found


def _instance_choices(instance, itemset, context: _Context) -> dict:
    value_ref = _ref_of(itemset, "value") or "name"
    label_ref = _ref_of(itemset, "label") or "label"
    choices = []
    for item in instance.iter():
        if _local(item.tag) != "item":
            continue
        fields = {_local(c.tag): c for c in item}
        label = {}
        if "itextId" in fields:
            label = {lang: t for lang, t in context.itext.get(fields["itextId"].text or "", {}).items() if t}
        elif label_ref in fields:
            label = {DEFAULT_LANGUAGE: (fields[label_ref].text or "").strip()}
        value = fields.get(value_ref)
        choices.append({"name": (value.text or "").strip() if value is not None else "", "label": label})
    return {"choices": choices}


def _ref_of(itemset, tag: str) -> str:
    node = next((c for c in itemset if _local(c.tag) == tag), None)
    return (node.get("ref") or "").strip() if node is not None else ""


def _value_of(item) -> str:
    node = next((c for c in item if _local(c.tag) == "value"), None)
    return (node.text or "").strip() if node is not None else ""


# ---------------------------------------------------------------- walking an outline
def walk(nodes: list[dict], *, into_repeats: bool = True) -> Iterator[dict]:
    """Every node, depth first; `into_repeats=False` stops at repeats (yielding the repeat)."""
    for node in nodes:
        yield node
        if node.get("children") and (into_repeats or node["kind"] != "repeat"):
            yield from walk(node["children"], into_repeats=into_repeats)


def questions(nodes: list[dict], *, into_repeats: bool = False) -> Iterator[dict]:
    return (n for n in walk(nodes, into_repeats=into_repeats) if n["kind"] == "question")


def repeats(nodes: list[dict]) -> list[dict]:
    return [n for n in walk(nodes) if n["kind"] == "repeat"]


def text_in(texts: dict[str, str], lang: str) -> str:
    """The text of a label for a two-letter language: "Español (es)", "spanish", "es", then the
    default language, then any."""
    if not texts:
        return ""
    for key, value in texts.items():
        if language_code(key) == lang:
            return value
    return texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()))


_LANGUAGE_NAMES = {"spanish": "es", "español": "es", "espanol": "es", "castellano": "es", "english": "en",
                   "inglés": "en", "ingles": "en", "french": "fr", "français": "fr", "francais": "fr",
                   "portuguese": "pt", "português": "pt", "portugues": "pt"}


def language_code(name: str) -> str:
    """"Español (es)" -> "es", "English" -> "en", "default" -> ""."""
    lowered = name.strip().lower()
    code = re.search(r"\(([a-z]{2,3})(?:[-_][a-z0-9]+)?\)\s*$", lowered)
    if code:
        return code[1]
    if re.fullmatch(r"[a-z]{2}", lowered):
        return lowered
    return _LANGUAGE_NAMES.get(lowered, "")


# ---------------------------------------------------------------- instances
def instance_answers(outline: dict, root) -> dict:
    """The answers of a submitted instance (an element tree root), shaped by the outline: groups
    as dicts, repeats as lists of dicts, text as sent. Elements the outline does not know (an
    older or newer form version) are kept by the same rules: nothing that arrived is dropped."""
    return _answers(root, {n["name"]: n for n in outline.get("nodes", [])})


def _answers(element, known: dict[str, dict]) -> dict:
    out: dict = {}
    for child in element:
        name = _local(child.tag)
        if not name:
            continue
        node = known.get(name)
        grandchildren = {n["name"]: n for n in (node or {}).get("children", [])}
        is_repeat = (node or {}).get("kind") == "repeat"
        if len(child) or (node and node["kind"] != "question"):
            value = _answers(child, grandchildren)
        else:
            value = child.text or ""
        if is_repeat:
            out.setdefault(name, []).append(value)
        elif name in out:  # a repeat the outline does not know: several elements of one name
            out[name] = out[name] if isinstance(out[name], list) else [out[name]]
            out[name].append(value)
        else:
            out[name] = value
    return out


def is_protocol_meta(node: dict) -> bool:
    """The top-level `meta` group (instanceID, deprecatedID): ODK's bookkeeping, not questions."""
    return node["kind"] == "group" and node["name"] == "meta" and "/" not in node["path"]


def value_at(data: dict, path: str):
    """The answer at a slash path outside repeats ("lugar/punto"); None when absent."""
    value = data
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def values_at(data: dict, paths: set[str], prefix: str = "") -> Iterator[str]:
    """Every answer whose path (repeat positions left out) is in `paths`."""
    for name, value in data.items():
        path = f"{prefix}/{name}".lstrip("/")
        rows = value if isinstance(value, list) else [value]
        for row in rows:
            if isinstance(row, dict):
                yield from values_at(row, paths, path)
            elif path in paths and row:
                yield row
