"""The role table in docs/users-and-roles.md is the role matrix, cell by cell."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from testigo.core import roles

DOC = Path(__file__).resolve().parents[2] / "docs" / "users-and-roles.md"
COLUMNS = [roles.VIEW, roles.EDIT, roles.PUBLISH, roles.EXPORT, roles.SEE_CONTACT, roles.VIEW_CONFIDENTIAL,
           roles.MANAGE_USERS, roles.MANAGE_CATEGORIES, roles.VIEW_AUDIT, roles.MANAGE_ALERTS, roles.MANAGE_SURVEYS,
           roles.IMPORT_REPORTS, roles.MANAGE_LAYERS, roles.MANAGE_CHANNELS, roles.MANAGE_TOKENS, roles.MANAGE_TIPLINE]


def test_documented_role_table_matches_the_matrix():
    rows = {}
    with translation.override("en"):  # the doc is in English
        label_to_role = {str(label): role for role, label in roles.ROLE_LABELS.items()}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] in label_to_role:
            rows[label_to_role[cells[0]]] = {a for a, cell in zip(COLUMNS, cells[1:], strict=True) if cell == "yes"}
    assert rows == roles.MATRIX
