"""Request bodies. Text limits are the models' own (reports.submission.limit), as on the web form."""

from __future__ import annotations

from datetime import date, datetime, time

from ninja import Schema
from pydantic import Field

from testigo.reports.models import Note
from testigo.reports.submission import limit


class ReportIn(Schema):
    """A citizen's report. Checked by the same rules as the web page (reports.submission)."""

    title: str = Field(max_length=limit("title"))
    description: str = Field(max_length=limit("description"))
    category: int | str | None = Field(default=None, description="category id or slug")
    occurred_date: date
    occurred_time: time | None = None
    lat: float | None = None
    lon: float | None = None
    place_name: str = Field(default="", max_length=limit("place_name"))
    reporter_name: str = Field(default="", max_length=limit("reporter_name"))
    reporter_contact: str = Field(default="", max_length=limit("reporter_contact"))
    language: str = Field(default="es", pattern="^(es|en)$")


class ReportPatch(Schema):
    title: str | None = Field(default=None, min_length=3, max_length=limit("title"))
    description: str | None = Field(default=None, min_length=10, max_length=limit("description"))
    categories: list[int | str] | None = Field(default=None, max_length=10)
    occurred_at: datetime | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    precision_m: int | None = Field(default=None, ge=0, le=1_000_000)
    place_name: str | None = Field(default=None, max_length=limit("place_name"))
    admin1: str | None = Field(default=None, max_length=limit("admin1"))
    admin2: str | None = Field(default=None, max_length=limit("admin2"))
    visibility: str | None = Field(default=None, pattern="^(public|restricted|confidential)$")


class StatusIn(Schema):
    status: str = Field(pattern="^(new|in_review|verified|published|rejected|archived)$")


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=limit("text", Note))
