"""Screenshot every public and console page into docs/screenshots/ (`make screenshots`).

Starts a throwaway Testigo (fresh data directory, SQLite, gunicorn on a free port, a worker),
seeds the demo data with `testigo seed-demo`, adds the few objects the pages need (a survey, a
zone, a channel...), then drives Debian's Chromium through tools/screenshot_pages.SHOTS in
Spanish at every width of WIDTHS. Images are palette PNGs (Pillow, optimize=True); a page
taller than the viewport is also captured whole, cut at FULL_PAGE_MAX_HEIGHT. Requests to any
other host (map tiles) are refused, so the result does not depend on the network.

    python tools/screenshots.py [--only SLUG ...] [--out DIR] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path[:0] = [str(TOOLS), str(ROOT)]

from screenshot_pages import FULL_PAGE_MAX_HEIGHT, SHOTS, WIDTHS, Shot  # noqa: E402

CHROMIUM = os.environ.get("TESTIGO_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--font-render-hinting=none", "--lang=es-419"]  # Chromium's own controls in Spanish too
ADMIN, PASSWORD = "admin", "demo-screenshots-2026"  # a throwaway server that lives a few minutes
# Addresses shown on the pages (webhook URLs, alert links): a public one, not the throwaway port.
PUBLIC_ADDRESS = {"TESTIGO_CHANNEL_BASE_URL": "https://testigo.example.org",
                  "TESTIGO_ALERT_LINK_BASE": "https://testigo.example.org"}
LONG_PAGE_SLACK = 120  # px: a page this little taller than the viewport is not captured whole
PALETTE_COLOURS = 256


# --- A throwaway deployment ----------------------------------------------------------------

def prepare(data_dir: Path) -> dict[str, str]:
    """Migrate, seed the demo, add what the pages need; return the ids the shots' paths use."""
    os.environ.update(TESTIGO_DATA_DIR=str(data_dir), TESTIGO_COLLECTED_STATIC="1",
                      DJANGO_SETTINGS_MODULE="testigo.settings", **PUBLIC_ADDRESS)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo")
    from screenshot_objects import create_objects

    return create_objects(admin=ADMIN, password=PASSWORD)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, port: int) -> list[subprocess.Popen]:
    from testigo.core.management.commands.serve import gunicorn_command

    env = dict(os.environ, TESTIGO_DATA_DIR=str(data_dir), TESTIGO_COLLECTED_STATIC="1")
    log = open(data_dir / "server.log", "ab")  # the children write to it until stop()
    web = subprocess.Popen(gunicorn_command(host="127.0.0.1", port=port, workers=2), env=env, cwd=ROOT,
                           stdout=log, stderr=log)
    worker = subprocess.Popen([sys.executable, "-m", "testigo.cli", "worker"], env=env, cwd=ROOT,
                              stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/reports/", timeout=5)
            return [web, worker]
        except OSError:
            if web.poll() is not None:
                break
            time.sleep(0.5)
    stop([web, worker])
    raise SystemExit(f"the server did not start: see {data_dir / 'server.log'}")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# --- What some shots do besides loading their page --------------------------------------------

def send_report(page, ids: dict) -> None:
    page.fill("[name=title]", "Balacera cerca del mercado")
    page.fill("form [name=description]", "Se escucharon disparos a las 8 de la noche, frente a la entrada norte.")
    page.select_option("[name=category]", ids["category"])
    page.check("[name=survey__armas][value=si]")  # the category's survey asks this (required)
    page.fill("[name=survey__personas]", "2")
    page.fill("[name=occurred_date]", (datetime.date.today() - datetime.timedelta(days=1)).isoformat())
    page.fill("[name=place_name]", "Mercado Zonal Belén, Comayagüela")
    page.locator("details.coords summary").click()
    page.fill("[name=lat]", "14.0931")
    page.fill("[name=lon]", "-87.2119")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/report/thanks/")


def send_tip(page, ids: dict) -> None:
    page.fill("textarea[name=body]", "Los camiones salen del muelle cuatro cada martes a las 3 de la mañana.")
    page.click("form.tip-form button[type=submit]")
    page.wait_for_url("**/tip/sent/", timeout=120_000)  # the script may have to solve a proof of work


def open_first_tip(page, ids: dict) -> None:
    href = page.evaluate("[...document.querySelectorAll('main a')].map(a => a.getAttribute('href'))"
                         ".find(h => /^\\/console\\/tips\\/\\d+\\/$/.test(h))")
    page.goto(href)


def _type_password(page, ids: dict) -> None:
    if page.locator("input[name=password]").count():
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_load_state()


create_tip_key = unlock_tips = _type_password
ACTIONS = {"send_report": send_report, "send_tip": send_tip, "open_first_tip": open_first_tip,
           "create_tip_key": create_tip_key, "unlock_tips": unlock_tips}


# --- Chromium ------------------------------------------------------------------------------

def save_png(png: bytes, path: Path) -> None:
    """A palette PNG: UI screenshots have few colours, so 256 keep them readable at a third of the size."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image = image.convert("RGB")
        if image.height > FULL_PAGE_MAX_HEIGHT:
            image = image.crop((0, 0, image.width, FULL_PAGE_MAX_HEIGHT))
        image = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        image.save(path, format="PNG", optimize=True)


class Sessions:
    """One browser context per (who, width): staff logged in, the source keeping its tip session;
    the public gets a fresh context for every shot."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url, self.kept = browser, base_url, {}
        self.noticed: list[str] = []  # what went wrong on the way: a 404 image, a script error
        self.label = ""

    def _context(self, width: int):
        context = self.browser.new_context(locale="es-HN", base_url=self.base_url, device_scale_factor=1,
                                           viewport={"width": width, "height": WIDTHS[width]},
                                           is_mobile=width < 600, has_touch=width < 600)
        origin = self.base_url.rstrip("/")
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(origin)
                      else route.abort())
        context.on("response", lambda r: r.status >= 400 and self.noticed.append(
            f"{self.label}: {r.status} for {r.url.removeprefix(origin)}"))
        context.on("page", lambda page: page.on("pageerror", lambda e: self.noticed.append(
            f"{self.label}: script error {e}")))
        return context

    def page(self, who: str, width: int):
        if who == "public":
            return self._context(width).new_page()
        if (who, width) not in self.kept:
            page = self._context(width).new_page()
            if who == "staff":
                page.goto("/console/login/")
                page.fill("input[name=username]", ADMIN)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit].primary")
                page.wait_for_url("**/console/")
            self.kept[(who, width)] = page
        return self.kept[(who, width)]

    def done(self, who: str, page) -> None:
        if who == "public":
            page.context.close()


# Images of this server that did not load (map tiles come from elsewhere and are refused on purpose).
BROKEN_IMAGES = ("[...document.images].filter(i => i.complete && !i.naturalWidth && i.src.startsWith(location.origin))"
                 ".map(i => i.src)")


def capture(shot: Shot, page, width: int, ids: dict, out: Path, noticed: list[str]) -> list[str]:
    page.goto(shot.path.format(**ids))
    if shot.steps:
        ACTIONS[shot.steps](page, ids)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    if page.evaluate("document.documentElement.scrollWidth") > width:
        noticed.append(f"{shot.slug}-{width}: wider than the window (scrolls sideways)")
    noticed += [f"{shot.slug}-{width}: broken image {name!r}" for name in page.evaluate(BROKEN_IMAGES)]
    written = [f"{shot.slug}-{width}.png"]
    save_png(page.screenshot(animations="disabled", caret="hide"), out / written[0])
    height = page.evaluate("document.documentElement.scrollHeight")
    if height > WIDTHS[width] + LONG_PAGE_SLACK:
        written.append(f"{shot.slug}-{width}-full.png")
        save_png(page.screenshot(full_page=True, animations="disabled", caret="hide"), out / written[-1])
    return written


def run_browser(base_url: str, ids: dict, shots: list[Shot], out: Path) -> list[str]:
    from playwright.sync_api import sync_playwright

    os.environ["LANGUAGE"] = "es"  # with --lang: date inputs and file pickers speak Spanish
    written: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        sessions = Sessions(browser, base_url)
        for shot in shots:
            for width in WIDTHS:
                sessions.label = f"{shot.slug}-{width}"
                page = sessions.page(shot.who, width)
                try:
                    written += capture(shot, page, width, ids, out, sessions.noticed)
                except Exception:
                    page.screenshot(path=out / f"FAILED-{shot.slug}-{width}.png", full_page=True)
                    print(f"{shot.slug} at {width} px failed on {page.url}: see {out}", file=sys.stderr)
                    raise
                if shot.after:
                    ACTIONS[shot.after](page, ids)
                sessions.done(shot.who, page)
            print(f"  {shot.slug}", flush=True)
        browser.close()
    if sessions.noticed:
        print("Noticed while capturing (look at these pages):", *sorted(set(sessions.noticed)), sep="\n  ")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", help="only these slugs (the shots before them still run)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway data directory")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set TESTIGO_CHROMIUM)")
    locales = [Path(os.path.realpath(CHROMIUM)).parent / "locales", Path("/usr/lib/chromium/locales")]
    if not any(any(folder.glob("es*.pak")) for folder in locales):
        print("warning: Chromium has no Spanish locale (apt-get install chromium-l10n): date pickers and "
              "file buttons will be in English", file=sys.stderr)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="testigo-screenshots-"))
    processes: list[subprocess.Popen] = []
    try:
        ids = prepare(data_dir)
        port = free_port()
        processes = start_server(data_dir, port)
        out = Path(tempfile.mkdtemp(prefix="shots-", dir=data_dir))
        written = run_browser(f"http://127.0.0.1:{port}", ids, SHOTS, out)
    finally:
        stop(processes)
    wanted = set(args.only or [])
    if not wanted:  # a full run replaces every image, so pages that went away leave no stale file
        for old in args.out.glob("*.png"):
            old.unlink()
    for name in written:
        if not wanted or any(name.startswith(f"{slug}-") for slug in wanted):
            shutil.copyfile(out / name, args.out / name)
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    from screenshot_docs import write

    write(args.out)
    total = sum(p.stat().st_size for p in args.out.glob("*.png"))
    print(f"{len(list(args.out.glob('*.png')))} images, {total / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
