"""XPath that no ODK client can parse, and dependency cycles ODK Collect refuses, are found before a
phone sees the form (issue #16): pyxform converts such forms without complaint.

The grammar cases follow XPath 1.0 (section 3.7's disambiguation included) and what pyxform writes;
the corpus cases hold `check_xform` to ODK's own form engine: every form the engine loads passes, the
forms it refuses for their XPath are refused with the question named."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from functools import cache
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from testigo.surveys import xpath

pytestmark = pytest.mark.usefixtures("english")  # messages asserted below are English

CORPUS = Path(__file__).parent / "xlsform_corpus"
ENGINE_DIR = Path(__file__).parent / "odk_engine"
CORPUS_FORMS = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in (".xls", ".xlsx"))
# Corpus forms pyxform accepts that ODK's engine refuses for their XPath, and the question at fault.
REFUSED = {
    "pyxform/bug_example_xls__bad_calc.xlsx": "badcalc",
    "pyxform/example_xls__bad_calc.xlsx": "badcalc",
    # choice_filter `label::English != ''`: "label" is no XPath axis.
    "pyxform/bug_example_xls__xl_date_ambiguous.xlsx": "names",
}

VALID = [
    "selected( /data/x , 'a')",  # as pyxform converts selected(${x}, 'a')
    "jr:choice-name( /data/x ,' /data/x ')",
    "instance('x')/root/item[name = current()/../a]",
    "instance('cities')/root/item[country= /data/country  and district= /data/district ]",
    "-1", "- -1", "a div b", "a mod 2 = 0", "2 * 3", "/data/a * /data/b", "/data/*", "*", "@attr",
    "/data/meta/entity/@id", "..", ".", "/", "//a", "/data//a", "/data/a | /data/b", "position(..)",
    "count( /data/rep )", "sum(/data/rep/x) div count(/data/rep)", "indexed-repeat( /data/r/x , /data/r , 1)",
    "if(. > 0, 'yes', 'no')", "concat('a', \"b\", /data/x)", "string-length(.) <= 10 or . = ''",
    "regex(., '^[0-9]{10}$')", "format-date(today(), '%Y-%m-%d')", "once(uuid())", "1.5", ".5", "5.",
    "child::a/parent::node()/self::*", "ancestor-or-self::a[1]", "text()", "processing-instruction('x')",
    "/data/a[. > 1][2]", "(/data/a)[1]", "pulldata('fruits', 'name', 'key', /data/f)", "jr:itext('/data/q:label')",
    "decimal-date-time(now()) - decimal-date-time( /data/start ) > 1", "not(selected( /data/x , 'other'))",
    "count-selected( /data/x ) >= 2 and count-selected( /data/x ) <= 3", "a-b", "true() and false()",
    "and", "div div div",  # names that are operators only after an operand
]

INVALID = [
    ("(1 + 2", "missing"), ("1 + 2)", "“)”"), ("1 +", "ends too early"), ("frobnicate(1)", "frobnicate"),
    ("${x} x 2", "variables: “${x}”"), ("/data/x x 2", "“x” cannot follow"), ("because pyxform doesn't know what to do", "pyxform"),
    ("label::English != ''", "axis"), ("$x", "variables"), ("'abc", "quotes"), ("if(1, 2)", "takes 3"),
    ("/data/a[", "ends too early"), ("a[1]]", "“]”"), ("1 2", "“2”"), ("", "empty"), ("/data/a ? 2", "“?”"),
    ("upper-case('a')", "upper-case"), ("choice-name(/data/a, 'x')", "choice-name"), ("a = = b", "“=”"),
]


@pytest.mark.parametrize("expression", VALID)
def test_valid_odk_xpath_parses(expression):
    xpath.parse(expression)


@pytest.mark.parametrize(("expression", "words"), INVALID)
def test_invalid_xpath_is_refused_with_a_reason(expression, words):
    with pytest.raises(xpath.XPathSyntaxError) as caught:
        xpath.parse(expression)
    assert words in caught.value.message and 0 <= caught.value.position <= len(expression)


def test_star_and_names_follow_the_xpath_disambiguation_rules():
    assert xpath.parse("2 * 3") == xpath.Binary("*", xpath.Value(2.0), xpath.Value(3.0))
    assert xpath.parse("*").steps[0].test == "*"
    assert xpath.parse("a div b").op == "div" and xpath.parse("div").steps[0].test == "div"
    assert xpath.parse("- 1 - -2") == xpath.Binary("-", xpath.Negate(xpath.Value(1.0)), xpath.Negate(xpath.Value(2.0)))


def test_references_are_the_form_paths_an_expression_reads():
    assert xpath.references(xpath.parse(" /data/a  + /data/g/b")) == {"/data/a", "/data/g/b"}
    assert xpath.references(xpath.parse("instance('x')/root/item[name = current()/../a and k = /data/k]")) == {
        "../a", "/data/k"}
    assert xpath.references(xpath.parse("count(/data/r[x > 1]/y) + position(..)")) == {"/data/r/x", "/data/r/y", ".."}
    assert xpath.references(xpath.parse(". > 1")) == {"."}
    assert xpath.resolve("../a", "/data/g/b") == "/data/g/a" and xpath.resolve(".", "/data/b") == "/data/b"


@cache
def xform(path: Path) -> str | None:
    """pyxform's XForm for a corpus form, or None when pyxform itself refuses it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return convert(xlsform=str(path)).xform
        except Exception:  # noqa: BLE001 — pyxform's refusals are many types; they are not under test here
            return None


@pytest.mark.parametrize("path", CORPUS_FORMS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_form_pyxform_accepts_passes_unless_odk_refuses_its_xpath(path):
    xml = xform(path)
    if xml is None:
        pytest.skip("pyxform refuses this form itself")
    problems = xpath.check_xform(xml)
    question = REFUSED.get(str(path.relative_to(CORPUS)))
    if question is None:
        assert problems == []
    else:
        assert len(problems) == 1 and f"Question “{question}”" in problems[0], problems


def test_bad_calc_forms_are_refused_naming_question_and_column():
    for name in ("pyxform/bug_example_xls__bad_calc.xlsx", "pyxform/example_xls__bad_calc.xlsx"):
        (problem,) = xpath.check_xform(xform(CORPUS / name))
        assert "“badcalc”" in problem and "“calculation”" in problem and "doesn't know" in problem


def survey(*rows: dict) -> str:
    return convert(xlsform={"survey": list(rows)}, form_name="data").xform


@pytest.mark.parametrize(("rows", "cycle"), [
    ([{"type": "calculate", "name": "total", "calculation": "${total} + 1"}], "“total” (calculation) → “total”"),
    ([{"type": "calculate", "name": "a", "calculation": "${b} + 1"},
      {"type": "calculate", "name": "b", "calculation": "${c} * 2"},
      {"type": "calculate", "name": "c", "calculation": "${a} - 1"}],
     "“a” (calculation) → “b” (calculation) → “c” (calculation) → “a”"),
    ([{"type": "integer", "name": "age", "label": "Age", "relevant": ". > 0"}], "“age” (relevant) → “age”"),
    ([{"type": "integer", "name": "n", "label": "N", "required": "${m} > 1"},
      {"type": "calculate", "name": "m", "calculation": "${n} + 1"}], "“n” (required) → “m” (calculation) → “n”"),
    ([{"type": "begin repeat", "name": "r", "label": "R"},
      {"type": "integer", "name": "a", "label": "A", "calculation": "../a + 1"},
      {"type": "end repeat"}], "“a” (calculation) → “a”"),
])
def test_dependency_cycles_are_refused_naming_the_questions_in_order(rows, cycle):
    (problem,) = xpath.check_xform(survey(*rows))
    assert cycle in problem


@pytest.mark.parametrize("rows", [
    [{"type": "integer", "name": "age", "label": "Age", "constraint": ". > 0 and . < 120"}],
    [{"type": "begin group", "name": "g", "label": "G", "relevant": "${c} != 'x'"},
     {"type": "text", "name": "c", "label": "C"}, {"type": "end group"}],
    [{"type": "begin repeat", "name": "r", "label": "R"},
     {"type": "calculate", "name": "n", "calculation": "position(..)"},
     {"type": "text", "name": "t", "label": "T ${n}", "relevant": "${n} > 1"}, {"type": "end repeat"},
     {"type": "calculate", "name": "total", "calculation": "count(${r})"}],
])
def test_forms_without_cycles_pass(rows):
    assert xpath.check_xform(survey(*rows)) == []


def test_choice_filters_repeat_counts_defaults_and_outputs_are_checked():
    form = survey({"type": "integer", "name": "n", "label": "How many ${n2} here"},
                  {"type": "integer", "name": "n2", "label": "N2", "default": "frob(1)"},
                  {"type": "begin repeat", "name": "r", "label": "R", "repeat_count": "${n} +"},
                  {"type": "text", "name": "t", "label": "T"}, {"type": "end repeat"})
    problems = xpath.check_xform(form)
    assert any("“n2”" in p and "frob" in p for p in problems)
    assert any("“r_count”" in p and "“calculation”" in p for p in problems)  # pyxform's calculate for the count
    count = form.replace('jr:count=" /data/r_count "', 'jr:count=" /data/r_count * "')
    assert any("“r”" in p and "“repeat_count”" in p for p in xpath.check_xform(count))
    broken = form.replace('<output value=" /data/n2 "/>', '<output value=" /data/n2 )"/>')
    assert any("“n”" in p and "“label”" in p for p in xpath.check_xform(broken))


def _require_node() -> None:
    if shutil.which("node") and shutil.which("npm"):
        if not (ENGINE_DIR / "node_modules" / "@getodk" / "xforms-engine").is_dir():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ENGINE_DIR, check=True,
                           capture_output=True, timeout=300)
        return
    if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
        pytest.fail("node and npm are required (TESTIGO_REQUIRE_SERVICES=1)")
    pytest.skip("node/npm not installed: the ODK engine test needs Node 20 and npm")


@pytest.mark.services
def test_check_xform_agrees_with_odk_engine_on_the_corpus(tmp_path):
    _require_node()
    files = {}
    for path in CORPUS_FORMS[::2] + [CORPUS / name for name in REFUSED]:  # a sample, and every refusal
        if (xml := xform(path)) is not None:
            files[tmp_path / f"{len(files)}.xml"] = (path, xml)
            (tmp_path / f"{len(files) - 1}.xml").write_text(xml)
    run = subprocess.run(["node", "load_forms.mjs", json.dumps([str(f) for f in files])], cwd=ENGINE_DIR,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == len(files)
    for result in results:
        source, xml = files[Path(result["path"])]
        problems = xpath.check_xform(xml)
        if result["ok"]:
            assert problems == [], (source, problems)
        elif "syntax error" in result["error"] or "is not defined" in result["error"]:
            assert problems, (source, result["error"])
