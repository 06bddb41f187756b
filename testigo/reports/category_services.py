"""Writes to categories: create and edit, two levels at most, audited."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.reports import counts
from testigo.reports.models import ICONS, Category, Report

# Colours reach templates as SVG fill attributes and map styles: only #rrggbb is accepted.
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
FIELDS = ["slug", "name_es", "name_en", "parent", "colour", "icon", "position", "is_active", "sensitive"]


def _validate(category: Category) -> None:
    if not COLOUR_RE.match(category.colour or ""):
        raise ValidationError(_("The colour must look like #c0392b."))
    if category.icon not in ICONS:
        raise ValidationError(_("Choose one of the listed icons."))
    parent = category.parent
    if parent is not None:
        if category.pk is not None and parent.pk == category.pk:
            raise ValidationError(_("A category cannot be its own parent."))
        if parent.parent_id is not None:
            raise ValidationError(_("Only top-level categories can have subcategories (two levels at most)."))
        if category.pk is not None and category.children.exists():
            raise ValidationError(_("This category has subcategories, so it must stay at the top level."))
    slug_taken = Category.objects.filter(slug=category.slug).exclude(pk=category.pk).exists()
    if slug_taken:
        raise ValidationError(_("Another category already uses that slug."))
    category.full_clean()


def _snapshot(category: Category) -> dict:
    return {f: (category.parent_id if f == "parent" else getattr(category, f)) for f in FIELDS}


@transaction.atomic
def create_category(*, actor, slug: str, name_es: str, name_en: str, parent: Category | None = None,
                    colour: str = "#c0392b", icon: str = "alert", position: int = 0,
                    is_active: bool = True, sensitive: bool = False) -> Category:
    """Create a category (a child when `parent` is a top-level category). Raises ValidationError."""
    roles.require(actor, roles.MANAGE_CATEGORIES)
    category = Category(slug=slug.strip(), name_es=name_es.strip(), name_en=name_en.strip(), parent=parent,
                        colour=colour.strip(), icon=icon, position=position, is_active=is_active,
                        sensitive=sensitive)
    _validate(category)
    category.save()
    audit.record(action="category.created", actor=actor, obj=category, data=_snapshot(category))
    return category


@transaction.atomic
def update_category(*, actor, category: Category, **changes) -> Category:
    """Edit a category's fields (any of FIELDS); the audit event lists old and new values."""
    roles.require(actor, roles.MANAGE_CATEGORIES)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    category = Category.objects.select_for_update().get(pk=category.pk)
    before = _snapshot(category)
    for field, value in changes.items():
        setattr(category, field, value.strip() if isinstance(value, str) else value)
    _validate(category)
    after = _snapshot(category)
    diff = {f: [before[f], after[f]] for f in FIELDS if before[f] != after[f]}
    if diff:
        category.save()
        hidden = _hide_sensitive_reports(category) if category.is_sensitive else []
        data = {"changes": diff} | ({"made_confidential": len(hidden)} if hidden else {})
        audit.record(action="category.edited", actor=actor, obj=category, data=data)
    return category


def _hide_sensitive_reports(category: Category) -> list[int]:
    """A category just flagged for the survivor pathway (or moved under one): its public reports,
    and its children's, become confidential at once (reports/sensitive.py). Returns their ids."""
    scope = [category.pk, *category.children.values_list("pk", flat=True)]
    ids = list(Report.objects.filter(categories__in=scope, visibility=Report.Visibility.PUBLIC)
               .values_list("pk", flat=True).distinct())
    if ids:
        with counts.tracking(ids):  # the map's counts: the reports leave the public scope
            Report.objects.filter(pk__in=ids).update(visibility=Report.Visibility.CONFIDENTIAL)
    return ids
