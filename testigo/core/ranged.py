"""File responses that honour a single byte range (RFC 9110 §14): browsers play audio and video
by asking for parts of the file, and cannot seek in a voice note or a video without it."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest, HttpResponse

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024


def file_response(request: HttpRequest, fieldfile, *, content_type: str, headers: dict[str, str]) -> HttpResponse:
    """The whole file (200) or the one range asked for (206); 416 for a range past the end.
    Several ranges in one request ("bytes=0-1,5-6") get the whole file, as RFC 9110 allows."""
    size = fieldfile.size
    match = RANGE.match(request.headers.get("Range", "").strip())
    if not match or not (match.group(1) or match.group(2)):
        response = FileResponse(fieldfile.open("rb"), content_type=content_type)
    else:
        first, last = match.group(1), match.group(2)
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:  # "bytes=-500": the last 500 bytes
            start, end = max(0, size - int(last)), size - 1
        if start >= size or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        with fieldfile.open("rb") as handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        response = HttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(len(body))
    response["Accept-Ranges"] = "bytes"
    for name, value in headers.items():
        response[name] = value
    return response
