"""Checking a list of field specs, and the simple conditions between fields.

A condition is "show this field when field X is Y": `{"field": "x", "value": "y"}`. In XLSForm
it is written `${x} = 'y'` (or `selected(${x}, 'y')` for a multiple choice); nothing richer is
accepted, so every condition Testigo stores can be evaluated by the public form, by the console
and by ODK Collect alike.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from testigo.surveys import fieldtypes

_EQUALS = re.compile(r"^\s*\$\{([A-Za-z][A-Za-z0-9_]*)\}\s*=\s*(?:'([^']*)'|\"([^\"]*)\"|(-?\d+(?:\.\d+)?))\s*$")
_SELECTED = re.compile(r"^\s*selected\(\s*\$\{([A-Za-z][A-Za-z0-9_]*)\}\s*,\s*(?:'([^']*)'|\"([^\"]*)\")\s*\)\s*$")


def parse_relevant(expression: str) -> dict | None:
    """The condition for an XLSForm `relevant` cell, or None if it is not a simple condition."""
    for pattern in (_EQUALS, _SELECTED):
        match = pattern.match(expression)
        if match:
            value = next(g for g in match.groups()[1:] if g is not None)
            return {"field": match[1], "value": value}
    return None


def relevant_expression(condition: dict, fields_by_name: dict[str, dict]) -> str:
    target = fields_by_name[condition["field"]]
    value = condition["value"].replace("'", "")
    if target["type"] == "select_multiple":
        return f"selected(${{{condition['field']}}}, '{value}')"
    if target["type"] in {"integer", "decimal"}:
        return f"${{{condition['field']}}} = {value}"
    return f"${{{condition['field']}}} = '{value}'"


def condition_holds(condition: dict | None, values: dict) -> bool:
    """Whether a field with `condition` is shown, given the values answered so far."""
    if not condition:
        return True
    current = values.get(condition["field"])
    if isinstance(current, list):
        return condition["value"] in current
    if current is None:
        return False
    return str(current) == condition["value"] or (
        isinstance(current, (int, float)) and _same_number(current, condition["value"]))


def _same_number(number: float, text: str) -> bool:
    try:
        return float(text) == float(number)
    except ValueError:
        return False


def find_cycle(fields: list[dict]) -> list[str] | None:
    """The names on a cycle of conditions (a shown-when-b, b shown-when-a), if there is one."""
    depends = {f["name"]: (f.get("relevant") or {}).get("field") for f in fields if f.get("type") != "end_group"}
    for start in depends:
        seen: list[str] = []
        node = start
        while node is not None and node in depends:
            if node in seen:
                return seen[seen.index(node):] + [node]
            seen.append(node)
            node = depends[node]
    return None


def validate_fields(fields: list[dict]) -> list[str]:
    """Every problem with a list of field specs, as translated sentences (empty when valid)."""
    errors: list[str] = _group_errors(fields)
    names: dict[str, dict] = {}
    for position, field in enumerate(fields, start=1):
        if field.get("type") == "end_group":
            continue  # an end marker has no name of its own
        errors += _field_errors(position, field, names)
        names.setdefault(field.get("name", ""), field)
    for field in fields:
        if field.get("type") != "end_group":
            errors += _condition_errors(field, names)
    cycle = find_cycle([f for f in fields if f.get("name")])
    if cycle:
        errors.append(_("The conditions form a cycle: %(cycle)s.") % {"cycle": " → ".join(cycle)})
    return errors


def _field_errors(position: int, field: dict, names: dict[str, dict]) -> list[str]:
    errors = []
    name = field.get("name", "")
    where = {"n": position, "name": name}
    if not fieldtypes.NAME_RE.match(name) or name in fieldtypes.RESERVED_NAMES:
        errors.append(_("Field %(n)s: “%(name)s” is not a valid name (a letter, then letters, digits or _; "
                        "at most 64).") % where)
    elif name in names:
        errors.append(_("Field %(n)s: the name “%(name)s” is used twice.") % where)
    if field.get("type") not in fieldtypes.REGISTRY:
        errors.append(_("Field %(n)s: unknown type “%(type)s”.") % {**where, "type": field.get("type")})
        return errors
    ftype = fieldtypes.get(field["type"])
    if not (ftype.metadata or ftype.group) and not any((field.get("label") or {}).get(lang, "").strip() for lang in fieldtypes.LANGS):
        errors.append(_("Field %(n)s (%(name)s) needs a label.") % where)
    if ftype.choices:
        choice_list = [c.get("name", "") for c in field.get("choices") or []]
        if not choice_list:
            errors.append(_("Field %(n)s (%(name)s) needs at least one choice.") % where)
        if len(set(choice_list)) != len(choice_list):
            errors.append(_("Field %(n)s (%(name)s) has the same choice twice.") % where)
        for choice in choice_list:
            if not re.match(r"^[A-Za-z0-9_.-]{1,64}$", choice):
                errors.append(_("Field %(n)s (%(name)s): “%(choice)s” is not a valid choice name "
                                "(letters, digits, _ . -; no spaces).") % {**where, "choice": choice})
    return errors


def _group_errors(fields: list[dict]) -> list[str]:
    depth = 0
    for position, field in enumerate(fields, start=1):
        kind = fieldtypes.REGISTRY[field["type"]].group if field.get("type") in fieldtypes.REGISTRY else ""
        depth += 1 if kind == "begin" else -1 if kind == "end" else 0
        if depth < 0:
            return [_("Field %(n)s ends a group that was never started.") % {"n": position}]
    if depth > 0:
        return [_("A group is started but never ended (add a “Group: end” field).")]
    return []


def _condition_errors(field: dict, names: dict[str, dict]) -> list[str]:
    condition = field.get("relevant")
    if not condition:
        return []
    where = {"name": field.get("name"), "other": condition.get("field")}
    target = names.get(condition.get("field") or "")
    if target is None:
        return [_("Field “%(name)s” depends on “%(other)s”, which does not exist.") % where]
    if target is field:
        return [_("Field “%(name)s” cannot depend on itself.") % where]
    if fieldtypes.get(target["type"]).choices and condition.get("value") not in fieldtypes.choice_names(target):
        return [_("Field “%(name)s” depends on “%(other)s” being “%(value)s”, which is not one of its choices.")
                % {**where, "value": condition.get("value")}]
    return []
