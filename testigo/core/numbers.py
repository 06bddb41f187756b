"""Numbers typed by people: "14,07" and "14.07" are both fourteen point zero seven.

Spanish writes a decimal comma, English a decimal point, and a Honduran coordinator types
whichever her keyboard gives; a field that reads only one of them fails (or, worse, reads "1,5"
as 15). So a lone "," or "." is the decimal separator in any language; with both, the last one
is (the other groups thousands: "1.234,5" and "1,234.5"). Whole numbers also take a thousands
separator ("1.000" metres is a thousand in Spanish, "1,000" in English) and a zero fraction
("24,0": what a localized page may show). Anything else is refused with the field's usual
message ("Enter a number."), never guessed. Fields render their values in the page's language (localize=True), and read
back what they render.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

_SPACES = re.compile(r"[\s\u00a0\u202f]")  # spaces and no-break spaces group digits too
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_ZERO_FRACTION = re.compile(r"([+-]?\d+)[.,]0*")


def _clean(text) -> str:
    return _SPACES.sub("", str(text)).replace("\u2212", "-")  # the typographic minus sign too


def parse_decimal(text) -> float | None:
    """The number in `text`, None when blank; ValueError when it is not a finite number."""
    value = _clean(text)
    if not value:
        return None
    if "," in value and "." in value:
        grouping = "." if value.rfind(",") > value.rfind(".") else ","
        value = value.replace(grouping, "")
    value = value.replace(",", ".")
    if not _DECIMAL.fullmatch(value):
        raise ValueError(text)
    return float(value)


def parse_whole(text) -> int | None:
    """The whole number in `text`, None when blank; ValueError when it is not one."""
    if text.__class__ is str and text.isascii() and text.isdigit():
        return int(text)  # the common cell ("2"), read as below without four regular expressions
    value = _clean(text)
    if not value:
        return None
    if _THOUSANDS.fullmatch(value):
        return int(re.sub(r"[.,]", "", value))
    match = _ZERO_FRACTION.fullmatch(value)
    if match:
        return int(match[1])
    if not re.fullmatch(r"[+-]?\d+", value):
        raise ValueError(text)
    return int(value)


class DecimalNumberField(forms.FloatField):
    """A FloatField that reads parse_decimal() and renders in the page's language, in a text
    input with a decimal keypad: type=number would refuse (or silently empty) "14,07"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("localize", True)
        attrs = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("attrs", {})}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_decimal(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)  # only type=number understands it
        return attrs


class WholeNumberField(forms.IntegerField):
    """An IntegerField that reads parse_whole() ("1.000", "1,000" and "1000" alike)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("localize", True)
        attrs = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("attrs", {})}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        try:
            return parse_whole(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
