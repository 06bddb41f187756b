"""Limits checked on a zip archive (.xlsx, .kmz, .zip) before anything decompresses it.

A 2 MB "zip bomb" .xlsx once made a web worker allocate 4.2 GB: openpyxl and pyxform inflate
whatever sizes the archive declares. This module reads only the archive's central directory
(a few kilobytes, never the compressed data) and refuses an archive whose declared sizes are too
large. Declared sizes are enough: Python's zipfile, which openpyxl and pyxform read through,
stops inflating a member at its declared size and then fails its CRC check, so a member that
lies about its size cannot grow past the limit either.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MB = 1024 * 1024
# Most members any spreadsheet we read has: a workbook is ~15 parts, one per sheet and image more.
MAX_MEMBERS = 2000
# Largest single member once inflated: a 100,000-row sheet is ~60 MB of XML; openpyxl keeps a
# whole sharedStrings part in memory, so this bounds one worker's memory too.
MAX_MEMBER_BYTES = 256 * MB
# Largest sum of all members once inflated (the import upload allows 50 MB compressed).
MAX_TOTAL_BYTES = 512 * MB
# deflate cannot exceed ~1030:1 and bombs sit near it; real spreadsheets stay well under 100:1.
MAX_COMPRESSION_RATIO = 200
# Below this inflated size a member may compress as well as it likes (an empty sheet's XML
# compresses 300:1 and harms no one).
RATIO_CHECK_MIN_BYTES = 1 * MB


class UnsafeArchive(ValidationError):
    """The archive is refused before being inflated; the message says which limit it passed."""


def check_zip(source: bytes | str | Path | BinaryIO) -> None:
    """Raise UnsafeArchive if the zip archive's declared sizes pass any limit above.

    Reads the central directory only; a file that is not a zip archive passes (the caller's
    own reader refuses it with its own message)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    if isinstance(source, io.IOBase):
        source.seek(0)
    _check_members(members)


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise UnsafeArchive(_("This file is refused: it holds more than %(count)s files inside.")
                            % {"count": MAX_MEMBERS})
    if any(member.file_size > MAX_MEMBER_BYTES for member in members):
        raise UnsafeArchive(_("This file is refused: one part of it would take more than %(mb)s MB "
                              "once uncompressed.") % {"mb": MAX_MEMBER_BYTES // MB})
    if sum(member.file_size for member in members) > MAX_TOTAL_BYTES:
        raise UnsafeArchive(_("This file is refused: it would take more than %(mb)s MB once uncompressed.")
                            % {"mb": MAX_TOTAL_BYTES // MB})
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise UnsafeArchive(_("This file is refused: it is compressed far more than a real "
                                  "spreadsheet (a “zip bomb”)."))
