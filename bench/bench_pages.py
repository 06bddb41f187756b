"""Page weight of the public home page and the report form, as a browser on 2G would pay it.

Total transfer = the HTML + every stylesheet, script, font and image it links (following CSS
url()s), each gzip-compressed at level 6. Targets: total <= 150 KB, JS <= 50 KB per page.
Runs the app in-process (Django test Client) on a throw-away SQLite data directory.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

# The data directory must exist before Django reads the settings.
os.environ["TESTIGO_DATA_DIR"] = tempfile.mkdtemp(prefix="testigo-bench-pages-")
(Path(os.environ["TESTIGO_DATA_DIR"]) / "static").mkdir()  # served files; none collected here
os.environ.setdefault("TESTIGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

PAGES = {"home": "/", "report_form": "/report/"}
TARGET_TOTAL_KB, TARGET_JS_KB = 150, 50
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []  # (kind, url)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.found.append(("css", a["href"]))
        elif tag == "link" and (a.get("rel") or "") in {"icon", "preload", "modulepreload"} and a.get("href"):
            self.found.append(("other", a["href"]))
        elif tag == "script" and a.get("src"):
            self.found.append(("js", a["src"]))
        elif tag in {"img", "source"} and a.get("src"):
            self.found.append(("other", a["src"]))


def fetch(client: Client, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"bench_pages: GET {url} -> {response.status_code}")
    return b"".join(response.streaming_content) if response.streaming else response.content


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def weigh(client: Client, url: str) -> dict:
    html = fetch(client, url)
    sizes = {"html": gz(html), "css": 0, "js": 0, "other": 0}
    parser = Links()
    parser.feed(html.decode("utf-8"))
    queue, seen = [(kind, urljoin(url, link)) for kind, link in parser.found], set()
    while queue:
        kind, link = queue.pop()
        if link in seen or urlsplit(link).netloc or link.startswith("data:"):
            continue  # counted once; third-party origins are forbidden by the CSP anyway
        seen.add(link)
        body = fetch(client, link)
        sizes[kind] += gz(body)
        if kind == "css":
            queue += [("other", urljoin(link, ref)) for ref in CSS_URL.findall(body.decode("utf-8"))]
    sizes["files"] = len(seen) + 1
    return sizes


def main() -> None:
    call_command("migrate", verbosity=0)
    client = Client()
    for name, url in PAGES.items():
        sizes = weigh(client, url)
        total = sum(v for k, v in sizes.items() if k != "files") / 1024
        print(json.dumps({"name": f"page_weight.{name}.total_gz", "value": round(total, 1), "unit": "KB",
                          "target": f"<= {TARGET_TOTAL_KB}", "n": sizes["files"]}))
        print(json.dumps({"name": f"page_weight.{name}.js_gz", "value": round(sizes["js"] / 1024, 1),
                          "unit": "KB", "target": f"<= {TARGET_JS_KB}", "n": sizes["files"]}))


if __name__ == "__main__":
    main()
