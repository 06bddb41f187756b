"""Removes the invisible characters that let a message lie about itself once exported.

An SMS can carry terminal escape sequences (ESC [ 2 J clears the screen of whoever runs
`testigo export | less -R`; others rewrite the window title or fake earlier lines) and Unicode
bidirectional overrides (U+202E shows "txt.exe" as "exe.txt", the "Trojan Source" trick), which
survive into CSV and GeoJSON and fool the analyst who reads them.

Decision: the text is stored exactly as it arrived (staff can still inspect the original in the
console, where the browser shows it escaped); it is cleaned where it leaves as a file or on a
terminal, by every export writer (CSV, GeoJSON, `testigo export`). Kept: newline, tab and carriage
return (multi-line reports), and the bidi *marks* U+200E/U+200F/U+061C, which real Arabic or
Hebrew text needs and which cannot reorder anything; removed: every other C0/C1 control
character, DEL, whole ESC sequences, and the bidi embeddings, overrides and isolates.
"""

from __future__ import annotations

import re

# ESC sequences first, whole (CSI "ESC [ ... final", OSC "ESC ] ... BEL/ST", two-byte "ESC X"),
# so no "[2J" is left behind; then the single characters listed in the docstring.
_UNSAFE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, clear screen
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks
    r"|\x1b[@-_]?"  # other two-byte escapes (and a lone ESC)
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


def strip_controls(text: str) -> str:
    """The text without control characters, escape sequences or bidi overrides (see above)."""
    if text.isprintable():  # the common case, decided in C without a regex
        return text
    return _UNSAFE.sub("", text)
