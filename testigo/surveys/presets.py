"""Column-mapping presets: Ushahidi's exports (v2 "Download reports", v3/v5 Data → Export, the
platform's JSON; see surveys/ushahidi.py), and a guess from common Spanish and English column
names for any other file."""

from __future__ import annotations

from testigo.surveys import ushahidi as ushahidi_format
from testigo.surveys.mapping import norm

# Normalised header -> target. Ushahidi's own export names first, then everyday names.
USHAHIDI_COLUMNS = {
    "post id": "external_id", "#": "external_id", "serial": "external_id", "incident id": "external_id",
    "title": "title", "post title": "title", "incident title": "title",
    "description": "description", "content": "description", "post content": "description",
    "incident description": "description", "unstructured description": "description",
    "post date (utc)": "occurred_at", "post date": "occurred_at", "incident date": "occurred_at",
    "location.lat": "lat", "latitude": "lat", "location.lon": "lon", "longitude": "lon",
    "location": "place_name", "location name": "place_name",
    "categories": "category", "category": "category",
    "contact": "reporter_contact", "post status": "status", "approved": "approved", "verified": "verified",
    "media": "media", "news links": "media", "video links": "media",
    "first name": "reporter_name", "last name": "reporter_name", "email": "reporter_contact",
}
# Several columns may feed these: v3 writes a survey-less post's text in "Unstructured
# Description" and a survey post's in the survey's own "Description" (one of them is empty);
# v2 writes one column per photo or link, and the reporter's first and last names apart.
SHARED_TARGETS = {"description", "media", "reporter_name"}
COMMON_COLUMNS = {
    "título": "title", "titulo": "title", "descripción": "description", "descripcion": "description",
    "relato": "description", "fecha": "occurred_at", "date": "occurred_at", "lat": "lat", "latitud": "lat",
    "lon": "lon", "lng": "lon", "longitud": "lon", "coordenadas": "latlon", "coordinates": "latlon",
    "lugar": "place_name", "place": "place_name", "departamento": "admin1", "municipio": "admin2",
    "categoría": "category", "categoria": "category", "nombre": "reporter_name", "name": "reporter_name",
    "contacto": "reporter_contact", "teléfono": "reporter_contact", "telefono": "reporter_contact",
}
# Ushahidi exports dates as "2017-02-22 10:00:00" (v3) or day- or month-first (v2): the order
# comes from the data (dateorder.py). Categories the file names are created here once each
# ("create"); rows are matched to earlier imports by their Ushahidi id ("update_by"), so a newer
# export updates the same reports.
USHAHIDI_OPTIONS = {"unknown_categories": "create", "update_by": "external_id", "preset": "ushahidi"}


def is_ushahidi(header: list[str]) -> bool:
    return ushahidi_format.version(header) is not None


def ushahidi(header: list[str]) -> dict:
    columns = {}
    for name in header:
        key = norm(name)
        # Ushahidi names location columns after the survey field: "<Field label>.lat"; v2
        # numbers its media columns ("MEDIA 1"…) in some plugins.
        target = USHAHIDI_COLUMNS.get(key) or ("lat" if key.endswith(".lat") else
                                               "lon" if key.endswith(".lon") else
                                               "media" if key.startswith("media") else None)
        if target and (target in SHARED_TARGETS or target not in columns.values()):
            columns[name] = target
    return {"columns": columns, "version": ushahidi_format.version(header), **USHAHIDI_OPTIONS}


def guess(header: list[str]) -> dict:
    """A starting mapping for the mapping page; staff review it before running."""
    if is_ushahidi(header):
        return ushahidi(header)
    columns = {}
    for name in header:
        key = norm(name)
        target = COMMON_COLUMNS.get(key) or USHAHIDI_COLUMNS.get(key)
        if target and target not in columns.values():
            columns[name] = target
    return {"columns": columns}
