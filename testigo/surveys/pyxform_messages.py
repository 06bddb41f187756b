"""pyxform's refusals in the reader's language.

pyxform (the reference XLSForm converter) words its errors in English. The ones real forms meet
most (measured on tests/surveys/xlsform_corpus/: together they cover nine in ten of pyxform's
refusals there) are recognised here and said again through gettext; English readers get
pyxform's own sentence, and a message not recognised is shown as pyxform wrote it.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

_SHEET = r"On the '(?P<sheet>[^']+)' sheet, "
PATTERNS = [
    (re.compile(r"^Unknown question type '(?P<type>.*)'\.$"),
     _("Unknown question type “%(type)s”.")),
    (re.compile(_SHEET + r"the '[^']+' value '(?P<value>[^']*)' is invalid\. The name '[^']*' is reserved for form "
                         r"metadata\.$"),
     _("On the “%(sheet)s” sheet, the name “%(value)s” is reserved for the form's metadata.")),
    (re.compile(_SHEET + r"the 'name' value is invalid\. Choice names must be unique for each choice list\."),
     _("On the “%(sheet)s” sheet, a choice name is repeated in its list. If that is intended, add the setting "
       "allow_choice_duplicates.")),
    (re.compile(_SHEET + r"the '(?P<column>[^']+)' value is invalid\. Reference variables must contain a name from "
                         r"the 'survey' sheet\. Could not find the name '(?P<name>[^']*)'\.$"),
     _("On the “%(sheet)s” sheet, the column “%(column)s” refers to ${%(name)s}, which is not a question of the "
       "survey sheet.")),
    (re.compile(_SHEET + r"the '(?P<column>[^']+)' value is invalid\. Reference variables must start with"),
     # xgettext:no-python-brace-format
     _("On the “%(sheet)s” sheet, the column “%(column)s” has a reference not written as ${question_name}.")),
    (re.compile(_SHEET + r"the '[^']+' value is invalid\. Names must begin with a letter or underscore\."),
     _("On the “%(sheet)s” sheet, a name is not valid: it must begin with a letter or _, followed by letters, "
       "digits, _, - or periods.")),
    (re.compile(_SHEET + r"the 'name' value '(?P<value>[^']*)' is invalid\. Questions, groups, and repeats must be "
                         r"unique"),
     _("On the “%(sheet)s” sheet, the name “%(value)s” is used twice in the same group or repeat.")),
    (re.compile(_SHEET + r"the 'parameters' value is invalid\."),
     _("On the “%(sheet)s” sheet, parameters must be written key1=value1 key2=value2.")),
    (re.compile(r"^List name not in choices sheet: (?P<list>.+)$"),
     _("The choice list “%(list)s” is not in the choices sheet.")),
    (re.compile(r"^Missing calculation\.$"), _("A calculate question needs a calculation.")),
    (re.compile(r"^Question or group with no name\.$"), _("A question or group has no name.")),
    (re.compile(r"^Unmatched '(?P<begin>begin[ _]\w+)'\. No matching '(?P<end>end[ _]\w+)' was found for the name "
                r"'(?P<name>[^']*)'\.$"),
     _("“%(begin)s” for “%(name)s” has no matching “%(end)s”.")),
    (re.compile(r"^Invalid headers provided for sheet: '(?P<sheet>[^']+)'\. One or more required column headers were "
                r"not found: (?P<columns>.+?)\. Learn more"),
     _("The “%(sheet)s” sheet lacks a required column: %(columns)s.")),
    (re.compile(r"^Duplicate column header: (?P<column>.+)$"), _("The column “%(column)s” appears twice.")),
]


def translate(message: str) -> str:
    """pyxform's message (without its "[row : n]" prefix) in the current language."""
    if (get_language() or "en").startswith("en"):
        return message
    for pattern, template in PATTERNS:
        match = pattern.search(message)
        if match:
            return str(template) % match.groupdict()
    return message
