"""Fixtures for surveys: a survey using every field type, XLSForms written with openpyxl, devices."""

from __future__ import annotations

import io

import pytest


def lbl(es: str, en: str | None = None) -> dict:
    return {"es": es, "en": en or es}


ALL_TYPES_FIELDS = [
    {"name": "titulo", "type": "text", "label": lbl("Título", "Title"), "required": True},
    {"name": "relato", "type": "long_text", "label": lbl("Relato", "Account"), "hint": lbl("Qué pasó", "What happened")},
    {"name": "victimas", "type": "integer", "label": lbl("Víctimas", "Victims")},
    {"name": "monto", "type": "decimal", "label": lbl("Monto", "Amount")},
    {"name": "arma", "type": "select_one", "label": lbl("¿Hubo armas?", "Weapons?"),
     "choices": [{"name": "si", "label": lbl("Sí", "Yes")}, {"name": "no", "label": lbl("No")}]},
    {"name": "tipo_arma", "type": "select_multiple", "label": lbl("Tipo de arma", "Weapon type"),
     "choices": [{"name": "fuego", "label": lbl("De fuego", "Firearm")},
                 {"name": "blanca", "label": lbl("Blanca", "Knife")}],
     "relevant": {"field": "arma", "value": "si"}},
    {"name": "fecha", "type": "date", "label": lbl("Fecha", "Date")},
    {"name": "hora", "type": "time", "label": lbl("Hora", "Time")},
    {"name": "momento", "type": "datetime", "label": lbl("Momento", "Moment")},
    {"name": "lugar", "type": "location", "label": lbl("Lugar", "Place")},
    {"name": "foto", "type": "photo", "label": lbl("Foto", "Photo")},
    {"name": "adjunto", "type": "file", "label": lbl("Archivo", "File")},
    {"name": "aviso", "type": "note", "label": lbl("Gracias", "Thanks")},
]


@pytest.fixture
def survey(db, admin_user):
    from testigo.surveys import services

    return services.create_survey(actor=admin_user, name_es="Incidentes", name_en="Incidents",
                                  fields=[dict(f) for f in ALL_TYPES_FIELDS], form_id="incidentes")


@pytest.fixture
def device_token(db, admin_user):
    from testigo.surveys import services

    _device, token = services.add_device(actor=admin_user, name="Teléfono 1")
    return token


@pytest.fixture
def basic_over_http(settings):
    settings.OPENROSA_ALLOW_BASIC_OVER_HTTP = True


def write_xlsx(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx with one sheet per key; each value is a list of rows (first row = header)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()



write_xlsform_file = write_xlsx


def break_conversion(monkeypatch, first_cell: str, error: Exception):
    """Make the import's row conversion raise `error` (a fault of ours, not a bad row) on the row
    whose first cell is `first_cell`; returns the real function, to put back."""
    from testigo.surveys import mapping

    real = mapping.convert

    def broken(prepared, cells):
        if cells[0] == first_cell:
            raise error
        return real(prepared, cells)

    monkeypatch.setattr(mapping, "convert", broken)
    return real
