"""The docs show what a user sees: every page has screenshots in docs/screenshots/, and every
screenshot is shown in a docs page. A new URL pattern must get a shot in
tools/screenshot_pages.py (then `make screenshots`) or an entry in EXCLUDED saying why not.
Files only: Chromium runs in `make screenshots`, not here."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SCREENSHOTS = DOCS / "screenshots"


def _pages_module():
    spec = importlib.util.spec_from_file_location("screenshot_pages", ROOT / "tools" / "screenshot_pages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


pages = _pages_module()


def _pattern_names(patterns, namespace: tuple[str, ...] = (), prefix: str = "/"):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace + ((pattern.namespace,) if pattern.namespace else ())
            yield from _pattern_names(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern):
            yield ":".join(namespace + (pattern.name or route,))


def _excluded(name: str) -> bool:
    if name in pages.EXCLUDED:
        return True
    return any(name.startswith(key[:-1]) for key in pages.EXCLUDED if key.endswith(":*"))


def test_every_url_pattern_has_a_screenshot_or_a_reason_to_have_none():
    names = set(_pattern_names(get_resolver().url_patterns))
    shot = {s.pattern for s in pages.SHOTS}
    assert names, "no URL patterns found"
    missing = sorted(n for n in names if n not in shot and not _excluded(n))
    assert missing == [], ("pages without a screenshot: add them to SHOTS in tools/screenshot_pages.py and run "
                           f"`make screenshots`, or to EXCLUDED with the reason: {missing}")
    assert all(reason.strip() for reason in pages.EXCLUDED.values())


def test_the_page_list_names_only_pages_that_exist():
    names = set(_pattern_names(get_resolver().url_patterns))
    stale = [s.pattern for s in pages.SHOTS if s.pattern not in names]
    stale += [key for key in pages.EXCLUDED
              if not (key in names or (key.endswith(":*") and any(n.startswith(key[:-1]) for n in names)))]
    assert stale == []
    slugs = [s.slug for s in pages.SHOTS]
    assert len(slugs) == len(set(slugs)), "two shots would write the same file"
    assert all((DOCS / s.doc).is_file() for s in pages.SHOTS)


def test_every_page_has_its_screenshots_at_every_width():
    expected = [f"{s.slug}-{width}.png" for s in pages.SHOTS for width in pages.WIDTHS]
    missing = [name for name in expected if not (SCREENSHOTS / name).is_file()]
    assert missing == [], f"run `make screenshots`: missing {missing}"


def test_every_screenshot_is_shown_in_the_docs_and_listed_in_the_index():
    images = sorted(p.name for p in SCREENSHOTS.glob("*.png"))
    assert images, "docs/screenshots/ has no images"
    known = {name for s in pages.SHOTS for name in pages.image_names(s.slug)}
    assert [name for name in images if name not in known] == [], "an image no shot produces (stale?)"
    docs_text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    referenced = set(re.findall(r"screenshots/([\w.-]+\.png)", docs_text))
    assert [name for name in images if name not in referenced] == []
    index = (SCREENSHOTS / "README.md").read_text(encoding="utf-8")
    assert [name for name in images if f"({name})" not in index] == []


def test_every_page_that_shows_screenshots_shows_its_own():
    for shot in pages.SHOTS:
        text = (DOCS / shot.doc).read_text(encoding="utf-8")
        assert f"screenshots/{shot.slug}-{max(pages.WIDTHS)}.png" in text, f"{shot.doc} does not show {shot.slug}"
