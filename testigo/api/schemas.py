"""Request bodies. Limits match the report model and the public form."""

from __future__ import annotations

from datetime import date, datetime, time

from ninja import Schema
from pydantic import Field


class ReportIn(Schema):
    """A citizen's report. Checked by the same form as the web page (public.forms.ReportForm)."""

    title: str = Field(max_length=200)
    description: str = Field(max_length=10000)
    category: int | str | None = Field(default=None, description="category id or slug")
    occurred_date: date
    occurred_time: time | None = None
    lat: float | None = None
    lon: float | None = None
    place_name: str = Field(default="", max_length=200)
    reporter_name: str = Field(default="", max_length=120)
    reporter_contact: str = Field(default="", max_length=200)
    language: str = Field(default="es", pattern="^(es|en)$")


class ReportPatch(Schema):
    title: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, min_length=10, max_length=10000)
    categories: list[int | str] | None = Field(default=None, max_length=10)
    occurred_at: datetime | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    precision_m: int | None = Field(default=None, ge=0, le=1_000_000)
    place_name: str | None = Field(default=None, max_length=200)
    admin1: str | None = Field(default=None, max_length=100)
    admin2: str | None = Field(default=None, max_length=100)
    visibility: str | None = Field(default=None, pattern="^(public|restricted|confidential)$")


class StatusIn(Schema):
    status: str = Field(pattern="^(new|in_review|verified|published|rejected|archived)$")


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=5000)
