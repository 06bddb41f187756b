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
    errors += constraint_errors(field, lambda _column: _("Field %(n)s (%(name)s)") % where)
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


def constraint_errors(field: dict, where) -> list[str]:
    """Problems with a field's constraint, default and calculation; `where(column)` names the
    field (or the spreadsheet cell) at the start of each sentence."""
    errors = []
    ftype = fieldtypes.get(field["type"])
    if field.get("constraint") and not constraint_fits(field):
        errors.append(_("%(where)s: the constraint “%(constraint)s” cannot be checked by Testigo. Supported, "
                        "joined by “and”: . > 0 (numbers), . != 'x', string-length(.) <= 10 and "
                        "regex(., '…') (text), count-selected(.) <= 2 (choose several), . <= today() (dates).")
                      % {"where": where("constraint"), "constraint": field["constraint"]})
    if field["type"] == "calculate" and not (field.get("calculation") or "").strip():
        errors.append(_("%(where)s: a calculated field needs a calculation.") % {"where": where("calculation")})
    default = field.get("default")
    if default not in (None, ""):
        if ftype.metadata or ftype.media or ftype.group or ftype.parse is None:
            errors.append(_("%(where)s: this type of field cannot have a default.") % {"where": where("default")})
        elif default_is_dynamic(str(default), ftype.xlsform):
            errors.append(_("%(where)s: the default “%(value)s” is an expression; only fixed values are "
                            "supported.") % {"where": where("default"), "value": default})
        else:
            try:
                value = fieldtypes.parse_value(field, str(default))
            except fieldtypes.FieldValueError as exc:
                errors.append(_("%(where)s: the default is not a valid answer: %(reason)s")
                              % {"where": where("default"), "reason": exc})
            else:
                if field.get("constraint") and constraint_fits(field) and not constraint_holds(field, value):
                    errors.append(_("%(where)s: the default does not meet the constraint.") % {"where": where("default")})
    return errors


def default_is_dynamic(value: str, xlsform_type: str) -> bool:
    """pyxform's own rule: a default with an operator, a function call or a ${reference} is
    computed by the phone, which Testigo's web form cannot do."""
    from pyxform.utils import default_is_dynamic as pyxform_rule

    return pyxform_rule(value, xlsform_type)


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


# ---------------------------------------------------------------- constraints
# The constraint forms Testigo can check itself, on the values it stores, joined by "and":
#   . >= 0          . != 'x'          . <= today()          string-length(.) <= 10
#   regex(., '^[0-9]{8}$')           count-selected(.) <= 2
# Which form fits which type is in _CONSTRAINT_KINDS; anything else is refused on upload, so a
# stored constraint is always one the server enforces exactly as ODK Collect does.
_OP = r"(?P<op><=|>=|!=|=|<|>)"
_CLAUSES = {
    "compare": re.compile(rf"\.\s*{_OP}\s*(?:'(?P<s1>[^']*)'|\"(?P<s2>[^\"]*)\"|(?P<num>-?\d+(?:\.\d+)?)"
                          r"|(?P<today>today\(\s*\)))"),
    "length": re.compile(rf"string-length\(\s*\.\s*\)\s*{_OP}\s*(?P<num>\d+)"),
    "count": re.compile(rf"count-selected\(\s*\.\s*\)\s*{_OP}\s*(?P<num>\d+)"),
    "regex": re.compile(r"regex\(\s*\.\s*,\s*(?:'(?P<s1>[^']*)'|\"(?P<s2>[^\"]*)\")\s*\)"),
}
_AND = re.compile(r"\s+and\s+")
_TEXTUAL = {"text", "long_text", "select_one"}
# Field type -> which clauses make sense for it, and which literal a comparison takes.
_CONSTRAINT_KINDS = {
    "integer": {"compare:num"}, "decimal": {"compare:num"},
    "text": {"compare:str", "length", "regex"}, "long_text": {"compare:str", "length", "regex"},
    "select_one": {"compare:str"}, "select_multiple": {"count"}, "date": {"compare:today"},
}
_COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def parse_constraint(expression: str) -> list[dict] | None:
    """The clauses of a constraint in one of the forms above, or None for anything else."""
    text, position, clauses = expression.strip(), 0, []
    while True:
        kind, match = next(((k, m) for k, p in _CLAUSES.items() if (m := p.match(text, position))), (None, None))
        if match is None:
            return None
        groups = match.groupdict()
        clause = {"kind": kind, "op": groups.get("op") or ""}
        if groups.get("today"):
            clause["kind"], clause["value"] = "compare:today", "today()"
        elif groups.get("num") is not None:
            clause["kind"] = "compare:num" if kind == "compare" else kind
            clause["value"] = float(groups["num"])
        else:
            clause["kind"] = "compare:str" if kind == "compare" else kind
            clause["value"] = groups.get("s1") if groups.get("s1") is not None else groups.get("s2")
        if clause["kind"] == "compare:str" and clause["op"] not in {"=", "!="}:
            return None  # XPath compares strings with < or > as numbers: nothing anyone means
        if clause["kind"] == "regex":
            try:
                re.compile(clause["value"])
            except re.error:
                return None
        clauses.append(clause)
        position = match.end()
        if position == len(text):
            return clauses
        joint = _AND.match(text, position)
        if joint is None:
            return None
        position = joint.end()


def constraint_fits(field: dict) -> bool:
    """Whether the field's constraint is one Testigo checks for the field's type."""
    clauses = parse_constraint(field.get("constraint") or "")
    allowed = _CONSTRAINT_KINDS.get(field.get("type"), set())
    return clauses is not None and all(c["kind"] in allowed for c in clauses)


def constraint_holds(field: dict, value) -> bool:
    """Whether a stored value meets the field's constraint (checked only for answered fields,
    as ODK does). The constraint is assumed to fit (validate_fields refuses the others)."""
    from django.utils import timezone

    for clause in parse_constraint(field.get("constraint") or "") or []:
        kind, op, literal = clause["kind"], clause["op"], clause["value"]
        if kind == "regex":
            if not re.search(literal, str(value)):
                return False
            continue
        if kind == "length":
            subject = len(str(value))
        elif kind == "count":
            subject = len(value) if isinstance(value, list) else 0
        elif kind == "compare:today":
            subject, literal = str(value)[:10], timezone.localdate().isoformat()  # ISO dates sort as dates
        elif kind == "compare:num":
            subject = float(value)
        else:
            subject = str(value)
        if not _COMPARE[op](subject, literal):
            return False
    return True
