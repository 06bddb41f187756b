"""The one spreadsheet-formula guard ("CSV injection") for every CSV Testigo writes.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - @ (or a tab or carriage
return before one) as a formula: "=HYPERLINK(...)" leaks data, "=cmd|..." runs programs. Our
CSV cells hold what the public typed, what an SMS said and what an imported file's header was,
so every cell and every header goes through `spreadsheet_safe`, which puts an apostrophe in
front of a dangerous cell (spreadsheets show the text, without the apostrophe, and never run it).
This follows OWASP's "CSV Injection" advice, fullwidth variants included (some spreadsheet
locales and input methods turn ＝ into =).

Decision: a number or a phone number that starts with + or - ("-5", "-87.2", "+504 9999-0000")
stays as it is, so coordinates and phones remain numbers in the spreadsheet; such a cell
holds only digits, spaces and . , - / after its sign, which no spreadsheet can turn into a
function call or a reference. Anything else after a + or - is quoted.
"""

from __future__ import annotations

import csv
import re
from typing import Any

from testigo.core.textsafe import strip_controls

# The first characters that make a spreadsheet read a cell as a formula, and their fullwidth forms.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0" "\uff1d\uff0b\uff0d\uff20")
# What a sign may be followed by and still be a plain number or phone number (see the decision above).
_SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9 .,/-]*")


def spreadsheet_safe(text: str) -> str:
    """The cell as a spreadsheet will show it but never run it."""
    if not text or text[0] not in FORMULA_TRIGGERS:
        return text
    if text[0] in "+-" and _SIGNED_NUMBER.fullmatch(text):
        return text
    return "'" + text


def safe_row(values: list[Any]) -> list[Any]:
    """The row with every text cell cleaned of control characters (core/textsafe.py), then
    guarded; numbers and dates pass untouched."""
    return [spreadsheet_safe(strip_controls(v)) if isinstance(v, str) else v for v in values]


class SafeWriter:
    """csv.writer whose every row, header included, goes through `safe_row`."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, values: list[Any]) -> Any:
        return self._writer.writerow(safe_row(values))

    def writerows(self, rows) -> None:
        self._writer.writerows(safe_row(row) for row in rows)


def writer(stream, **options) -> SafeWriter:
    """Use instead of csv.writer for any CSV a person may open in a spreadsheet."""
    return SafeWriter(stream, **options)
