"""Reports and what hangs off them. Models hold data and invariants; writes go through services."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from testigo.core.bilingual import in_language

# Stored icon codes (as they are in the data and the API) and what staff read for each.
ICON_CHOICES = [
    ("alert", pgettext_lazy("category icon", "Warning sign")), ("shield", pgettext_lazy("category icon", "Shield")),
    ("fire", pgettext_lazy("category icon", "Fire")), ("water", pgettext_lazy("category icon", "Water")),
    ("hand", pgettext_lazy("category icon", "Hand")), ("money", pgettext_lazy("category icon", "Money")),
    ("person", pgettext_lazy("category icon", "Person")), ("home", pgettext_lazy("category icon", "House")),
    ("car", pgettext_lazy("category icon", "Car")), ("megaphone", pgettext_lazy("category icon", "Megaphone")),
]
ICONS = [code for code, _label in ICON_CHOICES]


class Category(models.Model):
    """Two levels at most: a parent (e.g. Crime) and its children (e.g. Robbery)."""

    slug = models.SlugField(max_length=60, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("parent category"))
    colour = models.CharField(_("colour"), max_length=7, default="#c0392b")
    icon = models.CharField(_("icon"), max_length=20, default="alert", choices=[(i, i) for i in ICONS])
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # The survivor pathway (docs/help-services.md): domestic and sexual violence and the like. A
    # report in such a category (or in a child of one) is confidential from the start, can never be
    # made public, gets discreet replies and the nearest help services.
    sensitive = models.BooleanField(
        _("survivor pathway (confidential)"), default=False,
        help_text=_("Reports in this category are confidential, never shown to the public, and get "
                    "discreet replies with the nearest help services."))

    class Meta:
        ordering = ["position", "name_es"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_es, self.name_en)

    @property
    def is_sensitive(self) -> bool:
        """Flagged itself or through its parent: a child of a survivor-pathway category is one too."""
        return self.sensitive or (self.parent_id is not None and self.parent.sensitive)

    @property
    def icon_label(self) -> str:
        """The icon's name in the reader's language (an unknown code is shown as it is)."""
        return str(dict(ICON_CHOICES).get(self.icon, self.icon))


class Report(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_REVIEW = "in_review", _("In review")
        VERIFIED = "verified", _("Verified")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        ARCHIVED = "archived", _("Archived")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("Restricted (staff only)")
        CONFIDENTIAL = "confidential", _("Confidential")

    reference = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what happened"), max_length=10000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    categories = models.ManyToManyField(Category, blank=True, related_name="reports", verbose_name=_("categories"))
    occurred_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    # False when only the day is known (a form or import without a time): occurred_at then holds
    # the start of that day in TIME_ZONE, and every page shows the date alone, never "00:00".
    occurred_time_known = models.BooleanField(default=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)

    lat = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lon = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    precision_m = models.PositiveIntegerField(_("location precision (m)"), null=True, blank=True)
    place_name = models.CharField(_("place"), max_length=200, blank=True)
    # The department and municipality: typed by a person, or filled from the point (geo/areas.py)
    # when a report gets or changes a location without them (staff only when confidential).
    admin1 = models.CharField(_("department / state"), max_length=100, blank=True)
    admin2 = models.CharField(_("municipality"), max_length=100, blank=True)
    tile_key = models.BigIntegerField(null=True, blank=True)
    # Placed by reading the text against the gazetteer (reports/placing.py), not by a person: the
    # console says so, and a person's edit of the location clears it.
    location_from_text = models.BooleanField(_("located from text"), default=False)
    # What the text names, best first (gazetteer place, confidence, matched words): the console's
    # one-key suggestion. Staff only: never in the public projection.
    place_suggestions = models.JSONField(default=list, blank=True, editable=False)

    # The public projection, computed by services whenever the source fields change, so the
    # public map and API read plain indexed columns and never the exact location.
    public_title = models.CharField(max_length=200, blank=True)
    public_description = models.TextField(blank=True)
    public_lat = models.FloatField(null=True, blank=True)
    public_lon = models.FloatField(null=True, blank=True)
    public_tile_key = models.BigIntegerField(null=True, blank=True)
    # The areas of the public (fuzzed) point, or the typed ones when there is no point: what the
    # public list, API, filters and choropleth show, never the exact point's areas.
    public_admin1 = models.CharField(max_length=100, blank=True, editable=False)
    public_admin2 = models.CharField(max_length=100, blank=True, editable=False)
    redactions = models.JSONField(default=list, blank=True)
    # When what the public sees of the report last changed (reports.public_changes), rounded up:
    # the public API's `updated_since` reads this, never `updated_at`, which staff-only edits move.
    public_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    source = models.CharField(_("source"), max_length=20, default="web", db_index=True)
    language = models.CharField(max_length=8, default="es")
    custom_values = models.JSONField(default=dict, blank=True)
    reporter_name = models.CharField(_("name"), max_length=120, blank=True)
    reporter_contact = models.CharField(_("contact"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="duplicates")

    class Meta:
        ordering = ["-received_at", "-id"]
        # The map's clustering indexes, (status, visibility, public_tile_key, ...) and
        # (status, tile_key, ...), are covering indexes created by geo's migration 0002; narrower
        # indexes on the same leading columns would only slow every write.
        indexes = [
            models.Index(fields=["status", "-received_at"], name="report_status_received"),
            # The inbox's text search with a status tab lists newest arrival first (search.staff_order:
            # -id): on PostgreSQL a common word with a common status walks this index and stops after
            # a page, instead of sorting every match of both (issue #19).
            models.Index(fields=["status", "-id"], name="report_status_id"),
            # The public list's order (selectors.PUBLIC_ORDER) under its filter: the home page reads
            # 20 index entries instead of sorting every published report (issue #19). On PostgreSQL
            # migration 0007 builds it with `published_at DESC NULLS LAST`, the order's own NULLs
            # rule; SQLite has no NULLS in CREATE INDEX and needs none (its NULLs sort last in DESC).
            models.Index(fields=["status", "visibility", "-published_at", "-reference"], name="report_public_order"),
            # The inbox by status and source, newest first, and its capped per-status counts read
            # from the index alone (issue #19).
            models.Index(fields=["status", "source", "-received_at"], name="report_status_source_received"),
            # The public list by date (when it happened): a capped count reads 1,001 index
            # entries, a page sorts that period's reports instead of walking back through every
            # later publication. The order's columns ride along, so that sort reads index entries
            # only and the page's rows are then fetched by key (selectors.public_page; at a
            # million reports a month is ~22,000 reports: 300 ms fetching them all, issue #19).
            # `id` last: SQLite holds it in every index anyway, PostgreSQL needs it for an
            # index-only scan.
            models.Index(fields=["status", "visibility", "occurred_at", "published_at", "reference", "id"],
                         name="report_public_occurred"),
            # A report's duplicates: nearly every merged_into is NULL, so the statistics of a
            # plain index make SQLite scan the table; this one holds merged reports only.
            # Filters by area (staff: the true areas; public: the public point's) and the public
            # choropleth's counts per area, read from the index alone.
            models.Index(fields=["admin1", "admin2"], name="report_admin_areas"),
            # Areas first: a (status, visibility, ...) prefix would compete with the public
            # order's index for every public page.
            models.Index(fields=["public_admin1", "public_admin2", "status", "visibility"],
                         name="report_public_areas"),
            models.Index(fields=["merged_into"], condition=models.Q(merged_into__isnull=False),
                         name="report_merged_into"),
            # The dashboard's GROUP BYs over a period (reports/dashboard.py: by day and status, by
            # channel and area, the category links of the period's ids) read this index alone, never
            # the rows: at 200,000 reports the month's channel-and-area count fell from ~300 ms to
            # ~35 ms on SQLite (bench/bench_dashboard.py, loaded machine). Visibility rides along for
            # the roles that may not see confidential reports; `id` for PostgreSQL's index-only scans.
            models.Index(fields=["received_at", "status", "source", "admin1", "visibility", "id"],
                         name="report_dashboard"),
        ]
        permissions = [
            ("publish_report", "Can publish and reject reports"),
            ("export_reports", "Can export reports"),
            ("view_contact", "Can see reporter contact details"),
            ("view_confidential", "Can see confidential reports"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def published_off_map(self) -> bool:
        """Published with no location: the public sees it in the list but never on the map."""
        return self.status == self.Status.PUBLISHED and self.lat is None


class StatusCount(models.Model):
    """How many reports a category key holds per part (status and confidentiality), for the
    inbox's status tabs (reports/counts/: kept with the map's counts, in the same transaction).
    category 0 counts every report; category c the reports the single-category filter c matches
    (c's own and its children's); part = status index * 2 + 1 if confidential."""

    pk = models.CompositePrimaryKey("category", "part")
    category = models.IntegerField()
    part = models.SmallIntegerField()
    n = models.IntegerField()

    class Meta:
        verbose_name = "status count"

    def __str__(self) -> str:
        return f"{self.category}/{self.part}: {self.n}"


def text_limit(field: str) -> int:
    """The longest text a Report field takes: every writer that skips full_clean (bulk inserts)
    cuts to this, so the limit lives only in the model."""
    return Report._meta.get_field(field).max_length


def media_path(instance: Media, filename: str) -> str:
    return f"reports/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class Media(models.Model):
    """An attachment. Only the sanitised copy is stored (images re-encoded: EXIF and GPS gone;
    audio and video transcoded without metadata; documents cleaned where a tool can); the sha256
    of the original bytes is kept so the evidence can be matched later."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("photo")
        AUDIO = "audio", _("audio")
        VIDEO = "video", _("video")
        DOCUMENT = "document", _("document")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAGE)
    file = models.FileField(upload_to=media_path, max_length=200)
    content_type = models.CharField(max_length=60)
    extension = models.CharField(max_length=8)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    name = models.CharField(max_length=120, blank=True)  # documents: a cleaned name, staff only
    metadata_removed = models.BooleanField(default=True)
    truncated = models.BooleanField(default=False)  # a recording longer than the limits, cut (settings.MEDIA_MAX_*)
    # Documents are never public (they are for staff); photos, audio and video when staff say so.
    is_public = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Recordings and videos attached on the web (reports/recordings.py): the sha256 of the clean
    # copy as stored (the original's is `sha256`), a still frame of a video (JPEG, no metadata)
    # and, when TESTIGO_MEDIA_KEEP_ORIGINALS is on, the original as sent: for evidence, staff only.
    processed_sha256 = models.CharField(max_length=64, blank=True)
    poster = models.FileField(upload_to="reports/posters/", max_length=200, blank=True)
    original = models.FileField(upload_to="originals/", max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.sha256[:12]}{self.extension}"


class HeldRecording(models.Model):
    """A recording or video attached on the public form or in the console, waiting for the worker
    (pending) or refused by it (failed, with the reason staff read on the report). The file itself
    waits encrypted in storage under a key only the job holds (reports/recordings.py); once it is
    stored as the report's Media this row is deleted."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being processed")
        FAILED = "failed", _("Could not be processed")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="held_recordings")
    position = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    held = models.CharField(max_length=200, blank=True)  # the encrypted file's storage path
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["report", "position", "id"]

    def __str__(self) -> str:
        return f"recording {self.position} of report {self.report_id} ({self.status})"


class Note(models.Model):
    """A staff note on a report. Never shown to the public."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    text = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"note {self.pk} on report {self.report_id}"


class RetentionPolicy(models.Model):
    """A rule for how long reports are kept: reports in its scope (statuses, visibilities,
    categories; empty means any) older than `days` by `age_basis` have `action` applied by the
    daily job (reports.retention). Enforced by services; see docs/operations.md."""

    class Action(models.TextChoices):
        CONTACTS = "contacts", _("Delete the reporter's contact details")
        ARCHIVE = "archive", _("Archive (off the public map and list, kept for staff)")
        PURGE = "purge", _("Delete the report entirely")

    class AgeBasis(models.TextChoices):
        RECEIVED = "received", _("since it was received")
        PUBLISHED = "published", _("since it was published")
        UPDATED = "updated", _("since it was last changed (status or edit)")

    name = models.CharField(_("name"), max_length=120)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    age_basis = models.CharField(_("age counted"), max_length=10, choices=AgeBasis.choices,
                                 default=AgeBasis.RECEIVED)
    days = models.PositiveIntegerField(_("after this many days"), validators=[MinValueValidator(1),
                                                                             MaxValueValidator(36500)])
    statuses = models.JSONField(_("statuses"), default=list, blank=True)  # empty: any status
    visibilities = models.JSONField(_("visibilities"), default=list, blank=True)  # empty: any
    categories = models.ManyToManyField(Category, blank=True, related_name="+", verbose_name=_("categories"))
    is_enabled = models.BooleanField(_("enabled"), default=False)
    # An admin ticked "yes, this may remove every report": without it a policy whose scope is the
    # whole deployment is refused when saved and skipped by the job (reports.retention).
    confirmed_everything = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return self.name
class HelpService(models.Model):
    """A shelter, hotline, legal aid or health service for survivors (docs/help-services.md): listed
    on the public help page and sent, nearest first, to whoever files a survivor-pathway report."""

    class Kind(models.TextChoices):
        SHELTER = "shelter", _("Shelter")
        HOTLINE = "hotline", _("Hotline")
        LEGAL = "legal", _("Legal aid")
        HEALTH = "health", _("Health service")
        OTHER = "other", _("Other support")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    lat = models.FloatField(_("latitude"), null=True, blank=True,
                            validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lon = models.FloatField(_("longitude"), null=True, blank=True,
                            validators=[MinValueValidator(-180), MaxValueValidator(180)])
    address = models.CharField(_("address"), max_length=200, blank=True)
    hours = models.CharField(_("opening hours"), max_length=120, blank=True)
    languages = models.CharField(_("languages"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    nationwide = models.BooleanField(_("serves the whole country"), default=False,
                                     help_text=_("National hotlines: offered when a report has no location."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("help service")
        verbose_name_plural = _("help services")

    def __str__(self) -> str:
        return self.name

    @property
    def tel_uri(self) -> str:
        """The phone as a tel: link dials it (digits and a leading +, separators dropped)."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return f"tel:{'+' if self.phone.strip().startswith('+') else ''}{digits}" if digits else ""


class DuplicateCandidate(models.Model):
    """A pair of reports that look like the same event (reports.duplicates): the newer `report`
    and the older `original`, with a score and the reasons. Staff decide: merge or dismiss.
    Nothing is ever merged automatically."""

    class Decision(models.TextChoices):
        OPEN = "open", _("To decide")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not a duplicate")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="duplicate_candidates")
    original = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    # Codes and measurements ({"text": 0.82, "distance_m": 140, "hours": 1.5, "same_contact": true,
    # "same_place": true}); pages word them in the reader's language (duplicates.reason_labels).
    reasons = models.JSONField(default=dict)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.OPEN)
    found_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "original"], name="duplicate_pair_once")]
        # The inbox marks a page of reports with open candidates: only open pairs in the index.
        indexes = [
            models.Index(fields=["report"], condition=models.Q(decision="open"), name="duplicate_open_report"),
            models.Index(fields=["original"], condition=models.Q(decision="open"), name="duplicate_open_original"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} ~ {self.original_id} ({self.score:.2f})"


class Hotspot(models.Model):
    """A space-time cluster (reports.hotspots): more reports of a category in a grid cell in the
    last hours than the cell's usual rate explains. Staff only, never shown to the public."""

    cell = models.CharField(max_length=40)  # "row:column" of the hotspot grid (its side in cell_m)
    cell_m = models.PositiveIntegerField()
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    lat = models.FloatField()  # the cell's centre
    lon = models.FloatField()
    window_hours = models.PositiveIntegerField()
    observed = models.PositiveIntegerField()
    expected = models.FloatField()
    score = models.FloatField()  # Kulldorff's log-likelihood ratio for a Poisson count
    p_value = models.FloatField()
    # A confidential report among those counted: staff who may not see confidential reports do
    # not see this hotspot either (its place and category would say where such reports are).
    includes_confidential = models.BooleanField(default=False)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-active", "-score"]
        constraints = [models.UniqueConstraint(fields=["cell", "cell_m", "category"], condition=models.Q(active=True),
                                               name="hotspot_active_once")]
        indexes = [models.Index(fields=["active", "-last_seen"], name="hotspot_active_seen")]

    def __str__(self) -> str:
        return f"{self.cell} ({self.observed}/{self.expected:.2f})"
