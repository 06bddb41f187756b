"""A page's weight as a visitor's browser fetches it, counted as bench/bench_pages.py counts it:
the HTML and every stylesheet, script, icon and image it links from this site, each as sent (gzip
level 6, as GZipMiddleware sends it) and raw. Used by page-budget tests and benches with Django's
test client."""

from __future__ import annotations


def weigh(client, url: str) -> dict:
    import gzip
    from html.parser import HTMLParser

    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "link" and (a.get("rel") or "") in {"stylesheet", "icon", "preload"} and a.get("href"):
                found.append(a["href"])
            elif tag in {"script", "img"} and a.get("src"):
                found.append(a["src"])

    def body(link: str) -> bytes:
        response = client.get(link)
        assert response.status_code == 200, (link, response.status_code)
        return b"".join(response.streaming_content) if response.streaming else response.content

    html = body(url)
    Links().feed(html.decode())
    parts = [html] + [body(link) for link in dict.fromkeys(found) if link.startswith("/")]
    return {"raw": sum(len(p) for p in parts), "gz": sum(len(gzip.compress(p, compresslevel=6)) for p in parts),
            "html_raw": len(html), "files": len(parts)}
