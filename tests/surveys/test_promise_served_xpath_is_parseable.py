"""XPath that no ODK client can parse, and dependency cycles ODK Collect refuses, are found before a
phone sees the form (issue #16): pyxform converts such forms without complaint.

The grammar cases follow XPath 1.0 (section 3.7's disambiguation included) and what pyxform writes;
the corpus cases hold `check_xform` to ODK's own form engine: every form the engine loads passes, the
forms it refuses for their XPath are refused with the question named."""

from __future__ import annotations

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
    # Functions of other platforms (CHT, SurveyCTO, wq), a typo and a wrong argument count: ODK's
    # engine refuses each of these forms with the same reason.
    "cht-core/tests__integration__cht-form__default__forms__dates.xlsx": "diff_in_days",
    "cht-core/tests__integration__cht-form__default__forms__with-extension-libs.xlsx": "average",
    "fmtm/docs__images__xlsform-design__entities_registration.xls": "label",
    "ipa-surveycto-templates/Likert_template.xlsx": "device_info",
    "ipa-surveycto-templates/Ordinal_calculation__ordinal_calculation.xlsx": "device_info",
    "ipa-surveycto-templates/Random Module Order__random_module_order.xlsx": "device_info",
    "ipa-surveycto-templates/date_allows_dk__date_allows_dk.xlsx": "device_info",
    "ipa-surveycto-templates/enumerator_instructions__enumerator_instructions.xlsx": "device_info",
    "ipa-surveycto-templates/repeat_allows_selection__repeat_allows_selection.xlsx": "device_info",
    "wq-xlsform-converter/tests__files__input_types.xls": "char_field",
    "xlsform-offline/test__validate-error.xlsx": "concat",
    # Calculations that read their own value: JavaRosa (ODK Collect) refuses the cycle.
    "cht-core/tests__performance__webapp__specs__forms__app__large_cha.xlsx": "created_by_person_uuid",
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
        assert problems and f"“{question}”" in problems[0], problems


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

# Agreement with ODK's engine over the whole corpus: test_promise_odk_engine_loads_fills_and_submits_real_forms.py
