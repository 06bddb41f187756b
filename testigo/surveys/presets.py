"""Column-mapping presets: Ushahidi's CSV export (v3 "Post ID, Post Date (UTC)..." and v2
"INCIDENT TITLE, LATITUDE..."), and a guess from common Spanish and English column names."""

from __future__ import annotations

from testigo.surveys.mapping import norm

# Normalised header -> target. Ushahidi's own export names first, then everyday names.
USHAHIDI_COLUMNS = {
    "post id": "external_id", "#": "external_id", "incident id": "external_id",
    "title": "title", "post title": "title", "incident title": "title",
    "description": "description", "content": "description", "post content": "description",
    "incident description": "description",
    "post date (utc)": "occurred_at", "post date": "occurred_at", "incident date": "occurred_at",
    "location.lat": "lat", "latitude": "lat", "location.lon": "lon", "longitude": "lon",
    "location": "place_name", "location name": "place_name",
    "categories": "category", "category": "category",
    "contact": "reporter_contact",
}
COMMON_COLUMNS = {
    "título": "title", "titulo": "title", "descripción": "description", "descripcion": "description",
    "relato": "description", "fecha": "occurred_at", "date": "occurred_at", "lat": "lat", "latitud": "lat",
    "lon": "lon", "lng": "lon", "longitud": "lon", "coordenadas": "latlon", "coordinates": "latlon",
    "lugar": "place_name", "place": "place_name", "departamento": "admin1", "municipio": "admin2",
    "categoría": "category", "categoria": "category", "nombre": "reporter_name", "name": "reporter_name",
    "contacto": "reporter_contact", "teléfono": "reporter_contact", "telefono": "reporter_contact",
}
# Ushahidi exports dates as "2017-02-22 10:00:00" (v3) or US style (v2); categories are often
# named differently here, so they are kept in the answers instead of rejecting the row.
USHAHIDI_OPTIONS = {"unknown_categories": "keep", "preset": "ushahidi"}  # date order: from the data (dateorder.py)


def is_ushahidi(header: list[str]) -> bool:
    names = {norm(h) for h in header}
    return bool(names & {"post id", "post date (utc)", "incident title", "post status"})


def ushahidi(header: list[str]) -> dict:
    columns = {}
    for name in header:
        key = norm(name)
        # Ushahidi names location columns after the survey field: "<Field label>.lat".
        target = USHAHIDI_COLUMNS.get(key) or ("lat" if key.endswith(".lat") else
                                               "lon" if key.endswith(".lon") else None)
        if target and target not in columns.values():
            columns[name] = target
    return {"columns": columns, **USHAHIDI_OPTIONS}


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
