"""Ushahidi exports, each version read as Ushahidi wrote it.

- v2 (Ushahidi_Web, 2008-2014), "Download reports": `#` or `Serial`, INCIDENT TITLE, INCIDENT DATE,
  LOCATION, DESCRIPTION, CATEGORY ("1. Urgences | Emergency, 3. Public Health, " — a list with a
  trailing ", "; the " | " joins the two languages of ONE category), LATITUDE, LONGITUDE, then
  custom fields, APPROVED and VERIFIED (YES/NO). Text is stored HTML-escaped, sometimes twice
  (`&amp;quot;`).
- v3/v5 (ushahidi/platform's exporter, Data → Export): Post ID, Survey, Post Status, Created
  (UTC), Updated (UTC), Post Date (UTC), Contact ID, Contact, Data Source ID, Source, Unstructured
  Description (the text of a survey-less post: every SMS), then the survey's fields by their
  labels, a location as "<label>.lat" / "<label>.lon", tags as "name, name". With "include HXL"
  a row of hashtags (#event +id…) follows the header (tabular skips it).
- JSON: the platform's API (v3 `/api/v3/posts` {"results": [...]}, v5 `/api/v5/posts`
  {"results"|"data": [...]}, or a bare list of posts), flattened here into the v3 CSV's columns so
  every file goes through the same mapping.

Reports keep the Ushahidi id as their external id: importing a newer export of the same
deployment updates them (importing.py).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from testigo.reports.models import Report

V2, V3, JSON = "v2", "v3", "json"
V2_MARKERS = {"incident title", "incident date"}
V3_MARKERS = {"post id", "post date (utc)", "post status"}
# A category name "2a. Penurie d'aliments | Food Shortage": numbered, and bilingual around " | ".
NUMBERED = re.compile(r"^\s*(\d+)([a-z]?)\.\s*(.*)$", re.IGNORECASE)
TAG = re.compile(r"<[^>]{0,500}>")
BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)
ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.IGNORECASE)


def version(header: list[str]) -> str | None:
    """Which Ushahidi export this header belongs to, or None."""
    names = {h.strip().casefold() for h in header}
    if V2_MARKERS <= names:
        return V2
    if names & V3_MARKERS:
        return V3
    return None


def clean_text(text: str) -> str:
    """HTML entities decoded (again while any is left: v2 escaped some text twice or three times,
    `&amp;amp;`) and tags removed, line breaks kept."""
    for _ in range(5):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    if "<" in text:
        text = TAG.sub("", BREAK.sub("\n", text))
    return text.strip()


def split_categories(text: str) -> list[str]:
    """Category names from a v2/v3 cell: separated by commas (never by the " | " of bilingual
    names), the trailing ", " of v2 ignored, each decoded like the rest of the text."""
    names = []
    for part in clean_text(text).split(","):
        name = " ".join(part.split())
        if name and name not in names:
            names.append(name)
    return names


def bilingual(name: str) -> tuple[str, str]:
    """(name_es, name_en) for a new category from an Ushahidi name. "2a. Penurie d'aliments |
    Food Shortage": Ushahidi deployments wrote the local language first and English second; the
    English half (with the number) becomes the English name and the whole original text the
    Spanish one, so nothing is lost and it still matches the file's own text."""
    if "|" not in name:
        return name[:100], name[:100]
    left, _, right = name.partition("|")
    match = NUMBERED.match(left)
    prefix = f"{match[1]}{match[2]}. " if match else ""
    english = (prefix + right.strip()) if right.strip() else name
    return name[:100], english[:100]


def parent_code(name: str) -> tuple[str, str] | None:
    """("2", "2a") for "2a. …", ("2", "2") for "2. …": Ushahidi numbered sub-categories after
    their parent."""
    match = NUMBERED.match(name)
    return (match[1], match[1] + match[2].lower()) if match else None


YES = {"yes", "y", "1", "true", "oui", "sí", "si"}
V3_STATUS = {"published": Report.Status.PUBLISHED, "draft": Report.Status.IN_REVIEW,
             "in review": Report.Status.IN_REVIEW, "review": Report.Status.IN_REVIEW,
             "archived": Report.Status.ARCHIVED}


def status(values: dict[str, str]) -> str:
    """The report's status from v2's APPROVED / VERIFIED or v3's Post Status. APPROVED=YES is
    what made a v2 report appear on the public site, so it is published; VERIFIED=YES alone is
    verified; anything else arrives new, as every import did before. v3: published, draft (the
    client calls it "in review") and archived."""
    if values.get("status"):
        text = values["status"].strip().casefold()
        return V3_STATUS.get(text) or (text if text in Report.Status.values else Report.Status.NEW)
    if values.get("approved", "").strip().casefold() in YES:
        return Report.Status.PUBLISHED
    if values.get("verified", "").strip().casefold() in YES:
        return Report.Status.VERIFIED
    return Report.Status.NEW


# JSON posts flattened into the v3 CSV's columns (the Ushahidi preset maps them like a CSV).
JSON_COLUMNS = ["Post ID", "Post Status", "Post Date (UTC)", "Title", "Description", "Categories",
                "Location.lat", "Location.lon", "Media", "Source", "Contact"]


def looks_like_json(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def json_posts(path: Path) -> list[dict]:
    """The posts of a JSON export or API answer; raises ValueError when it holds none."""
    with open(path, encoding="utf-8-sig") as handle:
        data = json.load(handle)
    if isinstance(data, dict):
        data = data.get("results", data.get("data", data.get("posts")))
    if not isinstance(data, list):
        raise ValueError("no list of posts")
    return [post for post in data if isinstance(post, dict)]


def json_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, rows) for a JSON export; row numbers count posts from 2, like a CSV's lines."""
    posts = json_posts(path)
    extra: list[str] = []
    flat = []
    for post in posts:
        row, more = _flatten(post)
        flat.append((row, more))
        extra.extend(key for key in more if key not in extra)
    header = JSON_COLUMNS + extra
    rows = [(number, [row.get(c, "") for c in JSON_COLUMNS] + [more.get(c, "") for c in extra])
            for number, (row, more) in enumerate(flat, start=2)]
    return header, rows


def _flatten(post: dict) -> tuple[dict[str, str], dict[str, str]]:
    row = {"Post ID": _text(post.get("id")), "Post Status": _text(post.get("status")),
           "Post Date (UTC)": _text(post.get("post_date") or post.get("created")),
           "Title": _text(post.get("title")), "Description": _text(post.get("content")),
           "Source": _text(post.get("source")), "Contact": _text(post.get("contact"))}
    tags = post.get("tags") or post.get("categories") or []
    names, media, more = _tag_names(tags), [], {}
    ids = [_text(t.get("id") if isinstance(t, dict) else t) for t in tags if not _tag_names([t])] \
        if isinstance(tags, list) else []
    if ids:  # v3 tags as {id, url}, v5 categories as ids: no name to give a category here
        more["Ushahidi category ids"] = ", ".join(ids)
    fields = [(key, value, None) for key, value in (post.get("values") or {}).items()] if isinstance(
        post.get("values"), dict) else []
    for task in post.get("post_content") or []:  # v5: tasks holding fields with their values
        for spec in (task.get("fields") or []) if isinstance(task, dict) else []:
            fields.append((spec.get("label") or spec.get("key"), spec.get("value"), spec.get("type")))
    for label, value, kind in fields:
        values = value if isinstance(value, list) else [value]
        values = [v.get("value", v) if isinstance(v, dict) and "value" in v else v for v in values]
        if kind in ("title", "description"):
            row["Title" if kind == "title" else "Description"] = row["Title" if kind == "title" else
                                                                     "Description"] or _text(values[0])
        elif any(isinstance(v, dict) and "lat" in v and "lon" in v for v in values):
            point = next(v for v in values if isinstance(v, dict) and "lat" in v)
            row["Location.lat"], row["Location.lon"] = _text(point["lat"]), _text(point["lon"])
        elif kind == "tags":
            names.extend(n for n in _tag_names(values) if n not in names)
        elif kind == "media" or any(isinstance(v, dict) and ("original_file_url" in v or "url" in v) for v in values):
            media.extend(_media_url(v) for v in values if _media_url(v))
        elif values and values != [None]:
            more[str(label)] = ", ".join(_text(v) for v in values if v is not None)
    row["Categories"] = ", ".join(names)
    row["Media"] = " ".join(media)
    return row, more


def _tag_names(tags) -> list[str]:
    """Names of a post's tags given as objects ({"id", "tag"}); bare ids name nothing."""
    names = []
    for tag in tags if isinstance(tags, list) else []:
        name = str(tag.get("tag") or tag.get("name") or "") if isinstance(tag, dict) else ""
        if name and name not in names:
            names.append(name)
    return names


def _media_url(value) -> str:
    if isinstance(value, dict):
        return str(value.get("original_file_url") or value.get("url") or "")
    return str(value) if isinstance(value, str) and value.startswith(("http://", "https://")) else ""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def create_categories(*, actor, names: list[str], known: dict) -> list:
    """Create a category for each name not in `known` (normalised name -> Category), once each,
    through the categories' own service (audited). Numbered sub-categories ("2a. …") go under
    their parent ("2. …") when it is a top-level category. Returns those created."""
    from django.utils.text import slugify

    from testigo.reports.category_services import create_category
    from testigo.reports.models import Category
    from testigo.surveys.mapping import norm

    slugs = set(Category.objects.values_list("slug", flat=True))
    by_code = {}
    for category in Category.objects.filter(parent=None):
        code = parent_code(category.name_es) or parent_code(category.name_en)
        if code and code[0] == code[1]:
            by_code.setdefault(code[0], category)
    created = []
    def is_child(name: str) -> bool:
        code = parent_code(name)
        return bool(code) and code[0] != code[1]

    for name in sorted(dict.fromkeys(names), key=is_child):  # parents first: "2. …" before "2a. …"
        if norm(name) in known:
            continue
        name_es, name_en = bilingual(name)
        base = slugify(name_en)[:50] or "categoria"
        slug, n = base, 1
        while slug in slugs:
            n += 1
            slug = f"{base}-{n}"
        code = parent_code(name)
        parent = by_code.get(code[0]) if code and code[0] != code[1] else None
        # Position 0 for all: categories then sort by name, which Ushahidi's numbering ("1.", "1a.") orders.
        category = create_category(actor=actor, slug=slug, name_es=name_es, name_en=name_en, parent=parent)
        slugs.add(slug)
        known[norm(name)] = category
        if code and code[0] == code[1]:
            by_code.setdefault(code[0], category)
        created.append(category)
    return created
