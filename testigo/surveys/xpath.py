"""XPath 1.0 as ODK clients read it: refuse, before a phone sees a form, what no ODK client can load.

pyxform does not read XPath: "because pyxform doesn't know what to do" converts as a calculation, then
ODK Collect (JavaRosa) and ODK Web Forms (@getodk/xforms-engine) refuse the form. `check_xform` parses every
expression (XPath 1.0's lexical rules, section 3.7, and recursive descent over its grammar), refuses functions
no ODK client defines and the dependency cycles JavaRosa refuses. Calibrated against ODK's engine over the
XLSForm corpus in tests/surveys/test_promise_served_xpath_is_parseable.py."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import namedtuple

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

AXES = {"ancestor", "ancestor-or-self", "attribute", "child", "descendant", "descendant-or-self", "following",
        "following-sibling", "namespace", "parent", "preceding", "preceding-sibling", "self"}
NODE_TYPES = {"comment", "text", "processing-instruction", "node"}

# Functions some ODK client defines: XPath 1.0's core library, the ODK XForms spec (getodk/xforms-spec,
# _sections/30-bindings.md), JavaRosa's XPathFuncExpr and handlers, @getodk/xforms-engine 0.22's libraries.
FUNCTIONS = set("""
last position count id local-name namespace-uri name string concat starts-with contains substring-before
substring-after substring string-length normalize-space translate boolean not true false lang number sum floor ceiling
round join substr ends-with uuid digest pulldata if coalesce once boolean-from-string regex checklist
weighted-checklist random int max min pow log log10 abs sin cos tan asin acos atan atan2 sqrt exp exp10 pi
count-non-empty instance current randomize today now format-date format-date-time date decimal-date-time decimal-time
selected selected-at count-selected indexed-repeat area distance base64-decode jr:choice-name jr:itext date-time
geofence is-selected depend enclosed-area extract-signed property version
""".split())

# Argument counts that JavaRosa and the web engine both enforce: (least, most), None for no limit.
_FIXED = {0: "true false today now pi random current", 1: "not int sum count count-selected boolean-from-string once "
          "instance jr:itext", 2: "coalesce selected selected-at jr:choice-name regex pow atan2 contains starts-with "
          "ends-with substring-before substring-after format-date format-date-time", 3: "if translate", 4: "pulldata"}
ARITY = {name: (count, count) for count, names in _FIXED.items() for name in names.split()} | {
    "substr": (2, 3), "round": (1, 2), "position": (0, 1), "uuid": (0, 1), "indexed-repeat": (3, 11),
    "checklist": (2, None), "weighted-checklist": (2, None)}

_SHORT_STEPS = {"self": ".", "parent": "..", "descendant-or-self": ""}  # "" joined by "/" gives "//"
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<literal>"[^"]*"|'[^']*')
  | (?P<punct>\.\.|::|//|!=|<=|>=|[()\[\].@,/|+\-=<>*$])
  | (?P<name>[^\W\d][\w.\-]*(?::(?:[^\W\d][\w.\-]*|\*))?)
""", re.VERBOSE)
_FOLLOWED_BY = re.compile(r"\s*(\(|::)?")
_LEVELS = ({"or"}, {"and"}, {"=", "!="}, {"<", ">", "<=", ">="}, {"+", "-"}, {"*", "div", "mod"}, None, {"|"})
_OPERATORS = {"and", "or", "div", "mod", "*", "/", "//", "|", "+", "-", "=", "!=", "<", "<=", ">", ">="}


class XPathSyntaxError(ValueError):
    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.message, self.position = message, position


Token = namedtuple("Token", "kind text position")  # kind: number literal punct op name function nodetype axis end
Step = namedtuple("Step", "axis test predicates")
Path = namedtuple("Path", "start steps")  # start: None (the context), "/" (the root) or a filter expression
Call = namedtuple("Call", "name args")
Binary = namedtuple("Binary", "op left right")
Negate = namedtuple("Negate", "operand")
Filter = namedtuple("Filter", "primary predicates")
Value = namedtuple("Value", "value")  # a str literal or a float
Expr = Path | Call | Binary | Negate | Filter | Value


def tokenize(expression: str) -> list[Token]:
    """XPath 1.0 ExprTokens, with section 3.7's rules deciding what `*` and a bare name are."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if not match:
            raise XPathSyntaxError(_("a text in quotes is not closed") if expression[pos] in "\"'" else
                                   _("unexpected character “%(character)s”") % {"character": expression[pos]}, pos)
        kind, text, pos = match.lastgroup, match.group(), match.end()
        if kind == "space":
            continue
        if text == "$":  # a VariableReference: XForms binds no variables
            raise XPathSyntaxError(_("ODK forms have no variables: “%(text)s”")
                                   % {"text": re.match(r"\$(\{[^}]*\}?|[\w:.\-]*)", expression[pos - 1:]).group()}, pos - 1)
        prev = tokens[-1] if tokens else Token("op", "", 0)
        after_operand = prev.kind != "op" and prev.text not in ("@", "::", "(", "[", ",")
        if kind == "punct" and text in _OPERATORS:
            kind = "op" if text != "*" or after_operand else "name"
        elif kind == "name" and after_operand:
            if text not in ("and", "or", "div", "mod"):
                raise XPathSyntaxError(_("“%(word)s” cannot follow “%(previous)s”: an operator (and, or, div, mod, "
                                         "+, -, =…) is missing") % {"word": text, "previous": prev.text}, match.start())
            kind = "op"
        elif kind == "name":
            follower = _FOLLOWED_BY.match(expression, pos).group(1)
            if follower == "(":
                kind = "nodetype" if text in NODE_TYPES else "function"
            elif follower == "::":
                if text not in AXES:
                    raise XPathSyntaxError(_("“%(name)s” is not an XPath axis") % {"name": text}, match.start())
                kind = "axis"
        tokens.append(Token(kind, text, match.start()))
    tokens.append(Token("end", "", len(expression)))
    return tokens


class _Parser:
    def __init__(self, expression: str):
        self.tokens, self.index = tokenize(expression), 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        self.index += 1
        return self.tokens[self.index - 1]

    def at(self, kind: str, *texts: str) -> bool:
        return self.token.kind == kind and (not texts or self.token.text in texts)

    def error(self, token: Token | None = None) -> XPathSyntaxError:
        token = token or self.token
        message = _("unexpected “%(token)s”") % {"token": token.text}
        return XPathSyntaxError(_("the expression ends too early") if token.kind == "end" else message, token.position)

    def expect(self, text: str) -> Token:
        if self.at("end"):
            raise XPathSyntaxError(_("“%(expected)s” is missing at the end") % {"expected": text}, self.token.position)
        if not self.at("punct", text):
            raise XPathSyntaxError(_("“%(expected)s” expected instead of “%(found)s”")
                                   % {"expected": text, "found": self.token.text}, self.token.position)
        return self.take()

    def expr(self, level: int = 0):
        """Operators, loosest first: or, and, equality, relational, additive, multiplicative, unary -, union."""
        if level == len(_LEVELS):
            return self.path_expr()
        if _LEVELS[level] is None:  # UnaryExpr
            return Negate(self.take() and self.expr(level)) if self.at("op", "-") else self.expr(level + 1)
        left = self.expr(level + 1)
        while self.at("op", *_LEVELS[level]):
            op = self.take().text
            left = Binary(op, left, self.expr(level + 1))
        return left

    def path_expr(self):
        if self.at("number") or self.at("literal") or self.at("function") or self.at("punct", "("):
            start = self.filter_expr()
            return Path(start, self.relative_path()) if self.at("op", "/", "//") else start
        if self.at("op", "/") and not _starts_step(self.tokens[self.index + 1]):
            self.take()
            return Path("/", ())
        if self.at("op", "/", "//"):
            return Path("/", self.relative_path())
        if _starts_step(self.token):
            return Path(None, self.relative_path(first=True))
        raise self.error()

    def relative_path(self, first: bool = False) -> tuple:
        steps = [self.step()] if first else []
        while self.at("op", "/", "//") or not steps:
            if self.take().text == "//":
                steps.append(Step("descendant-or-self", "node()", ()))
            steps.append(self.step())
        return tuple(steps)

    def step(self) -> Step:
        token, axis = self.take(), "child"
        if token.kind == "punct" and token.text in (".", ".."):
            return Step("self" if token.text == "." else "parent", "node()", ())
        if token.kind == "axis":
            axis, _sep, token = token.text, self.expect("::"), self.take()
        elif token.kind == "punct" and token.text == "@":
            axis, token = "attribute", self.take()
        if token.kind == "nodetype":  # processing-instruction('name') is the one with an argument
            self.expect("(")
            if token.text == "processing-instruction" and self.at("literal"):
                self.take()
            self.expect(")")
        elif token.kind != "name":
            raise self.error(token)
        return Step(axis, token.text + "()" * (token.kind == "nodetype"), self.predicates())

    def predicates(self) -> tuple:
        found = []
        while self.at("punct", "["):
            self.take()
            found.append(self.expr())
            self.expect("]")
        return tuple(found)

    def filter_expr(self):
        token = self.take()
        if token.kind in ("number", "literal"):
            primary = Value(float(token.text) if token.kind == "number" else token.text[1:-1])
        elif token.text == "(":
            primary = self.expr()
            self.expect(")")
        else:
            primary = self.call(token)
        predicates = self.predicates()
        return Filter(primary, predicates) if predicates else primary

    def call(self, token: Token) -> Call:
        if token.text not in FUNCTIONS:
            raise XPathSyntaxError(_("no ODK client knows the function “%(name)s()”") % {"name": token.text},
                                   token.position)
        self.expect("(")
        args = [] if self.at("punct", ")") else [self.expr()]
        while args and self.at("punct", ","):
            self.take()
            args.append(self.expr())
        self.expect(")")
        least, most = ARITY.get(token.text, (0, None))
        if len(args) < least or most is not None and len(args) > most:
            expected = str(least) if least == most else f"{least}–{most if most is not None else '…'}"
            raise XPathSyntaxError(_("the function “%(name)s()” takes %(expected)s arguments, not %(count)s")
                                   % {"name": token.text, "expected": expected, "count": len(args)}, token.position)
        return Call(token.text, tuple(args))


def _starts_step(token: Token) -> bool:
    return token.kind in ("name", "axis", "nodetype") or token.kind == "punct" and token.text in (".", "..", "@")


def parse(expression: str) -> Expr:
    """The syntax tree of one XPath 1.0 expression, or XPathSyntaxError(message, position)."""
    if not expression.strip():
        raise XPathSyntaxError(_("the expression is empty"), 0)
    parser = _Parser(expression)
    tree = parser.expr()
    if parser.token.kind != "end":
        raise parser.error()
    return tree


def _step_text(step: Step) -> str:
    if step.test == "node()" and step.axis in _SHORT_STEPS:
        return _SHORT_STEPS[step.axis]
    return {"child": "", "attribute": "@"}.get(step.axis, step.axis + "::") + step.test


def references(expr: Expr) -> set[str]:
    """The form's paths `expr` reads, absolute ("/data/a") or from the context node ("../a", "."; a bind's
    `current()`), without predicates as JavaRosa indexes them; not secondary instances' (`instance('x')/…`)."""
    found: set[str] = set()
    _collect(expr, found, within=(False, ()))
    return found


def _collect(expr, found: set[str], within) -> None:
    """`within`: where relative paths start, as (absolute, steps); None inside a secondary instance."""
    if isinstance(expr, (Binary, Negate)):
        for operand in expr[isinstance(expr, Binary):]:  # a Binary's fields: op, left, right
            _collect(operand, found, within)
    elif isinstance(expr, Filter):
        _collect(expr.primary, found, within)
        for predicate in expr.predicates:
            _collect(predicate, found, None)
    elif isinstance(expr, Call):
        for arg in expr.args:
            _collect(arg, found, within)
    elif isinstance(expr, Path):
        _collect_path(expr, found, within)


def _collect_path(path: Path, found: set[str], within) -> None:
    at = None  # instance('x')/…, or a path from an expression: not a path of the form
    if path.start == "/":
        at = (True, ())
    elif path.start is None:
        at = within
    elif isinstance(path.start, Call) and path.start.name == "current":
        at = (False, ())
    else:
        _collect(path.start, found, within)
    for step in path.steps:
        if at is not None:
            at = (at[0], at[1] + (_step_text(step),))
        for predicate in step.predicates:
            _collect(predicate, found, at)
    if at is not None:
        found.add(("/" if at[0] else "") + "/".join(at[1]) or ("/" if at[0] else "."))


def resolve(reference: str, context: str) -> str:
    """An absolute path for `reference` read from the node at `context` ("/data/g/a")."""
    parts = [] if reference.startswith("/") else context.strip("/").split("/")
    for part in reference.strip("/").split("/"):
        if part == "..":
            parts = parts[:-1]
        elif part not in (".", ""):
            parts.append(part)
    return "/" + "/".join(parts)


XF, JR = "{http://www.w3.org/2002/xforms}", "{http://openrosa.org/javarosa}"
# XPath attributes, with the XLSForm column to fix (jr:constraintMsg is text); JavaRosa's DAG orders TRIGGERABLES.
BIND_COLUMNS = {"calculate": "calculation", "relevant": "relevant", "constraint": "constraint",
                "required": "required", "readonly": "read_only", "saveIncomplete": "save_incomplete"}
TRIGGERABLES = ("calculate", "relevant", "required", "readonly")
ITEXT_COLUMNS = {"label": "label", "hint": "hint", "guidance_hint": "guidance_hint",
                 "jr:constraintMsg": "constraint_message", "jr:requiredMsg": "required_message"}
_ATTRIBUTES = {None: (("ref", "name"), ("nodeset", "name")), "bind": (("nodeset", "name"), *BIND_COLUMNS.items()),
               "itemset": (("nodeset", "choice_filter"),), "repeat": (("nodeset", "name"), (JR + "count", "repeat_count")),
               "setvalue": (("ref", "name"), ("value", "default")), "output": (("value", "label"),),
               "label": (("ref", "label"),), "hint": (("ref", "hint"),)}


def check_xform(xml: str) -> list[str]:
    """Why ODK clients would refuse the XForm, one sentence a problem naming the question and XLSForm column:
    expressions (binds, refs, choice filters, repeat counts, setvalue, <output>) no XPath 1.0 parser reads
    or calling a function no ODK client defines, and dependency cycles. [] when ODK can load it."""
    try:
        root = SafeET.fromstring(xml.encode() if isinstance(xml, str) else xml, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException) as error:
        return [_("The form is not well-formed XML: %(error)s") % {"error": error}]
    problems, binds = [], []
    for element, question, column, attribute in _expressions(root, question=""):
        expression = element.get(attribute)
        try:
            tree = parse(expression)
        except XPathSyntaxError as error:
            problems.append(_("Question “%(question)s”, column “%(column)s”: %(problem)s (at character "
                              "%(position)s of “%(expression)s”).")
                            % {"question": question, "column": column, "problem": error.message,
                               "position": error.position + 1 - len(expression) + len(expression.lstrip()),
                               "expression": expression.strip()})
            continue
        if element.tag == XF + "bind" and attribute in TRIGGERABLES and element.get("nodeset"):
            binds.append((element.get("nodeset"), attribute, tree))
    return problems + _cycles(binds)


def _name(path: str | None) -> str:
    """A question's name: the last step of its path, without predicates."""
    step = re.sub(r"\[[^\]]*\]", "", path or "").rstrip("/ ").split("/")[-1]
    return step.strip().lstrip("@") or (path or "").strip()


def _expressions(element: ET.Element, question: str):
    """(element, question, column, attribute) for every XPath attribute, in document order."""
    tag = element.tag.rsplit("}", 1)[-1]
    if tag == "text" and element.get("id"):  # a translation: outputs in its values
        path, _sep, form = element.get("id").partition(":")
        question = _name(path) if path.startswith("/") else element.get("id")
        for output in element.iter(XF + "output"):
            yield output, question, ITEXT_COLUMNS.get(form, form or "label"), "value"
        return
    if tag in ("bind", "repeat", "group", "input", "select", "select1", "upload", "trigger", "range", "rank",
               "setvalue", "setgeopoint"):
        question = _name(element.get("nodeset", element.get("ref")))
    for attribute, column in _ATTRIBUTES.get(tag, _ATTRIBUTES[None]):
        if element.get(attribute) is not None:
            yield element, question, column, attribute
    for child in ([] if tag == "instance" else element):  # an instance holds data, not expressions
        yield from _expressions(child, question)


def _cycles(binds: list[tuple[str, str, Expr]]) -> list[str]:
    """JavaRosa's rule: a calculation or condition may not read, through the nodes the others set, the
    node it sets. Vertices are (node, attribute), with an edge to each vertex whose node it reads. Paths
    with //, * or an axis are left out: no false cycle from a guess."""
    targets = [re.sub(r"\[[^\]]*\]", "", nodeset).strip() for nodeset, _a, _t in binds]
    setters: dict[str, list[int]] = {}
    for index, target in enumerate(targets):
        setters.setdefault(target, []).append(index)
    edges = [sorted({vertex for reference in references(tree) if not any(m in reference for m in ("//", "*", "::", "()"))
                     for vertex in setters.get(resolve(reference, target), ())})
             for target, (_n, _a, tree) in zip(targets, binds, strict=True)]
    problems, reported = [], set()
    for start in range(len(binds)):
        cycle = None if start in reported else _cycle_from(start, edges)
        if cycle:
            reported.update(cycle)
            chain = " → ".join(f"“{_name(targets[i])}” ({BIND_COLUMNS[binds[i][1]]})" for i in cycle)
            problems.append(_("Questions read each other in a circle, which ODK Collect refuses (→ reads): "
                              "%(cycle)s → “%(first)s”.") % {"cycle": chain, "first": _name(targets[cycle[0]])})
    return problems


def _cycle_from(start: int, edges: list[list[int]]) -> list[int] | None:
    """The shortest path of vertices from `start` back to itself, or None (breadth-first)."""
    came_from, queue = {start: None}, [start]
    for vertex in queue:
        if start in edges[vertex]:
            path = [vertex]
            while came_from[path[-1]] is not None:
                path.append(came_from[path[-1]])
            return path[::-1]
        for following in edges[vertex]:
            if following not in came_from:
                came_from[following] = vertex
                queue.append(following)
    return None
