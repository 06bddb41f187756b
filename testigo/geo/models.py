"""Custom map layers uploaded by administrators (districts, shelters, police stations...)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from testigo.core.bilingual import in_language


class Layer(models.Model):
    """A GeoJSON FeatureCollection shown in the map's layer switcher. KML uploads are converted
    to GeoJSON on upload, so the map and the API only ever serve GeoJSON."""

    name_es = models.CharField(_("name (Spanish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    geojson = models.JSONField(default=dict)
    feature_count = models.PositiveIntegerField(default=0)
    colour = models.CharField(_("colour"), max_length=7, default="#2c7fb8",
                              validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")])
    visible_by_default = models.BooleanField(_("shown by default"), default=False)
    is_public = models.BooleanField(_("public"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name_es"]
        verbose_name = _("map layer")
        verbose_name_plural = _("map layers")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_es, self.name_en)


class ClusterCount(models.Model):
    """One cell of the map's count pyramid (testigo/geo/pyramid.py; what it counts: testigo/reports/counts/): how many reports of a
    scope (public or staff), category key and part (staff: status and confidentiality) a cell of a
    given level holds, with the sums of their coordinates and ids. Kept by the application."""

    pk = models.CompositePrimaryKey("scope", "category", "level", "cell", "part")
    scope = models.SmallIntegerField()
    category = models.IntegerField()  # 0 = every report
    level = models.SmallIntegerField()
    cell = models.BigIntegerField()
    part = models.SmallIntegerField()
    n = models.IntegerField()
    sum_lat = models.FloatField()
    sum_lon = models.FloatField()
    sum_id = models.BigIntegerField()

    class Meta:
        verbose_name = "cluster count"

    def __str__(self) -> str:
        return f"{self.scope}/{self.category}/{self.part} level {self.level} cell {self.cell}: {self.n}"


class MapGeneration(models.Model):
    """A token per count scope, changed (to a fresh random value) in the same transaction as any
    change to that scope's counts (geo/memindex.py). A server process keeps the public map's
    points in memory with the token it read before loading them; one look-up of this row per
    request tells it whether they are still the database's, whichever process changed them."""

    scope = models.SmallIntegerField(primary_key=True)
    value = models.BigIntegerField()

    class Meta:
        verbose_name = "map generation"

    def __str__(self) -> str:
        return f"scope {self.scope}: {self.value}"
