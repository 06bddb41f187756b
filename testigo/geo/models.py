"""Custom map layers uploaded by administrators (districts, shelters, police stations...)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from testigo.core.bilingual import in_language
from testigo.core.storage import tiles_storage


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


class Tileset(models.Model):
    """A basemap or overlay whose tiles Testigo serves itself (/tiles/<id>/{z}/{x}/{y}.<ext>) from an
    uploaded MBTiles (SQLite) or PMTiles v3 file, so visitors' browsers ask no third party for tiles.
    The file is checked on upload (testigo/geo/tilesets.py) and stored through Django's storage."""

    class Kind(models.TextChoices):
        MBTILES = "mbtiles", "MBTiles"
        PMTILES = "pmtiles", "PMTiles"

    class Role(models.TextChoices):
        BASEMAP = "basemap", _("basemap")
        OVERLAY = "overlay", _("aerial imagery overlay")

    class Status(models.TextChoices):
        READY = "ready", _("ready")
        TILING = "tiling", _("tiling")
        FAILED = "failed", _("failed")

    name_es = models.CharField(_("name (Spanish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    attribution = models.CharField(_("attribution"), max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    tile_format = models.CharField(max_length=8)  # png, jpg, webp or pbf: the served tiles' extension
    min_zoom = models.PositiveSmallIntegerField(default=0)
    max_zoom = models.PositiveSmallIntegerField(default=18)
    bounds = models.JSONField(null=True, blank=True)  # [west, south, east, north] when the file says
    file = models.FileField(upload_to="tilesets/", blank=True, storage=tiles_storage)  # empty while an overlay is being tiled
    # Aerial imagery overlays (geo/aerial.py): drawn over the basemap, see-through, from a GeoTIFF
    # (or a JPEG/PNG and its corners) that the worker tiles with GDAL.
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.BASEMAP)
    captured_on = models.DateField(_("date of the imagery"), null=True, blank=True)
    opacity = models.FloatField(_("opacity"), default=0.8, validators=[MinValueValidator(0), MaxValueValidator(1)])
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.READY)
    progress = models.PositiveSmallIntegerField(default=100)  # percent, while status is "tiling"
    error = models.CharField(max_length=300, blank=True)  # why tiling failed, in the uploader's language
    size = models.BigIntegerField(default=0)
    is_default = models.BooleanField(_("default basemap"), default=False)
    is_active = models.BooleanField(_("shown on the maps"), default=True)
    # An overlay only staff see (the staff map and console pages; its tiles refused to others).
    is_public = models.BooleanField(_("shown to the public"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name_es"]
        verbose_name = _("tile set")
        verbose_name_plural = _("tile sets")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_es, self.name_en)

    def as_overlay(self) -> dict:
        return {**self.as_basemap(), "opacity": self.opacity,
                "date": self.captured_on.isoformat() if self.captured_on else ""}

    def as_basemap(self) -> dict:
        return {"id": self.pk, "name": self.name, "attribution": self.attribution, "format": self.tile_format,
                "url": f"/tiles/{self.pk}/{{z}}/{{x}}/{{y}}.{self.tile_format}", "minZoom": self.min_zoom,
                "maxZoom": self.max_zoom, "default": self.is_default,
                "bounds": [[self.bounds[1], self.bounds[0]], [self.bounds[3], self.bounds[2]]] if self.bounds else None}


class GazetteerPlace(models.Model):
    """A place administrators added to the gazetteer (a colonia, barrio, aldea or landmark), from a
    CSV or a boundary file uploaded in the console, or from the demo. GeoNames towns are not stored:
    they are read from the package that ships them (geo/gazetteer.py)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, default="colonia")
    lat = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lon = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    parent = models.CharField(_("town or municipality"), max_length=200, blank=True)
    admin1 = models.CharField(_("department / state"), max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    alternate_names = models.JSONField(default=list, blank=True)
    precision_m = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "parent"]
        verbose_name = _("gazetteer place")
        verbose_name_plural = _("gazetteer places")
        constraints = [models.UniqueConstraint(fields=["name", "kind", "parent"], name="gazetteer_place_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.parent})" if self.parent else self.name

    @classmethod
    def places(cls) -> list:
        """Every row as a gazetteer Place, read as plain values (50,000 rows in a fraction of a second)."""
        from testigo.geo.gazetteer import KINDS, Place

        fields = ["name", "kind", "lat", "lon", "parent", "admin1", "country", "precision_m", "source",
                  "alternate_names"]
        out = []
        for name, kind, lat, lon, parent, admin1, country, precision, source, alternates in (
                cls.objects.order_by().values_list(*fields).iterator(chunk_size=5000)):
            kind = kind if kind in KINDS else "colonia"
            out.append(Place(name, kind, lat, lon, parent, admin1, country, precision or KINDS[kind][1],
                             source or "upload", list(alternates or [])))
        return out

    def as_place(self):
        from testigo.geo.gazetteer import KINDS, Place

        kind = self.kind if self.kind in KINDS else "colonia"
        return Place(name=self.name, kind=kind, lat=self.lat, lon=self.lon, parent=self.parent,
                     admin1=self.admin1, country=self.country, precision_m=self.precision_m or KINDS[kind][1],
                     source=self.source or "upload", alternate_names=list(self.alternate_names or []))


class AdminArea(models.Model):
    """A department (admin1) or municipality (admin2) boundary an administrator uploaded
    (geo/admin_polygons.py): simplified on upload, read into memory for point-in-polygon look-ups
    (a report's admin areas) and served to the maps' choropleth. `admin1` is the department an
    admin2 area is in (its own name for an admin1 area). The bounding box is kept in columns so
    the index can be rebuilt, or a look-up pre-filtered in SQL, without parsing every shape."""

    class Level(models.TextChoices):
        ADMIN1 = "admin1", _("departments")
        ADMIN2 = "admin2", _("municipalities")

    level = models.CharField(_("level"), max_length=6, choices=Level.choices)
    name = models.CharField(_("name"), max_length=100)
    admin1 = models.CharField(_("department / state"), max_length=100, blank=True)
    geometry = models.JSONField()  # GeoJSON Polygon or MultiPolygon, WGS84, simplified
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    point_count = models.PositiveIntegerField(default=0)
    source = models.CharField(_("source"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["level", "admin1", "name"]
        verbose_name = _("admin area")
        verbose_name_plural = _("admin areas")
        constraints = [models.UniqueConstraint(fields=["level", "admin1", "name"], name="admin_area_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.admin1})" if self.level == "admin2" and self.admin1 else self.name
