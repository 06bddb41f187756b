"""Text and JSON from outside (gateways, forms, API clients) made safe to store and to parse.

Two failures this module exists for (issue #13):
- PostgreSQL refuses a NUL character (U+0000) in text and jsonb columns, so a single NUL made a
  webhook answer 500 on every retry and the message was never stored. SQLite would take it; both
  back ends now get the same text.
- A JSON body nested thousands of levels deep raised RecursionError inside json.loads (a 500).
"""

from __future__ import annotations

import json
from typing import Any

NUL = "\x00"
# What a NUL becomes in a message we keep: U+FFFD, the Unicode "replacement character", so the
# text shows that something unreadable was there instead of silently joining two words.
NUL_REPLACEMENT = "\ufffd"
# The deepest JSON nesting we read. The deepest real payload (WhatsApp Cloud API) nests 7 levels;
# Python's own parser fails near 1,000. Anything deeper than this is refused with a clear 400.
MAX_JSON_DEPTH = 32


class UnreadableJSON(ValueError):
    """The body is JSON we refuse to read; the message says why (sent back with a 400)."""


def without_nul(text: str) -> str:
    """`text` with every NUL replaced by U+FFFD (kept visible, storable on every back end)."""
    return text.replace(NUL, NUL_REPLACEMENT) if NUL in text else text


def clean(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with NUL replaced in every key and string."""
    if isinstance(value, str):
        return without_nul(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def has_nul(value: Any) -> bool:
    """Whether any key or string inside a JSON-like value contains a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def depth(value: Any) -> int:
    """How deeply containers nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= MAX_JSON_DEPTH:  # deeper than the limit is already an answer; stop walking
            stack.extend((child, level + 1) for child in children)
    return deepest


def loads(data: bytes | str) -> Any:
    """Parse a JSON request body or field, refusing nesting deeper than MAX_JSON_DEPTH.

    Raises UnreadableJSON (a ValueError) for invalid JSON, bad UTF-8 and excessive nesting."""
    try:
        value = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except RecursionError as exc:
        raise UnreadableJSON(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableJSON(f"the body is not valid JSON: {exc}") from exc
    if depth(value) > MAX_JSON_DEPTH:
        raise UnreadableJSON(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return value
