"""Promise (to whoever maintains Testigo): the apps form layers that only import downward, so a
change to a higher app never breaks a lower one and there is no import loop between apps.

    core → geo → reports → channels, surveys → alerts, tipline → public, console, webhooks → stories → api → demo

An app may import its own modules and any app on a lower level; never one on its own level or
above. A lower app that must call a higher one offers a registry the higher one fills in its
AppConfig.ready() (channels' SMS keywords: alerts registers ALERTA). Every import counts, also
those inside functions: a lazy import is still a dependency (and was how the channels ⇄ alerts
loop hid). Modules at the top of the package (settings, urls, cli, wsgi) wire everything together
and are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import testigo

LEVELS = {"core": 0, "geo": 1, "reports": 2, "channels": 3, "surveys": 3, "alerts": 4, "tipline": 4,
          "public": 5, "console": 5, "webhooks": 5, "stories": 6, "api": 7, "demo": 8}

# Violations older than this test, each with the move that removes it; issue #15 emptied it. A new
# entry needs a reason written here and in docs/decisions.md.
KNOWN: set[tuple[str, str]] = set()

ROOT = Path(testigo.__file__).resolve().parent


def _apps_imported(path: Path) -> set[str]:
    """The testigo apps a module imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = ([f"testigo.{alias.name}" for alias in node.names] if node.module == "testigo"
                       else [node.module])
        else:
            continue
        found |= {m.split(".")[1] for m in modules if m.startswith("testigo.") and m.count(".") >= 1}
    return found


def upward_imports() -> set[tuple[str, str]]:
    """(module path, app) for every import of an app on the importer's level or above."""
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        app = relative.parts[0]
        if len(relative.parts) < 2 or app not in LEVELS:
            continue
        for target in _apps_imported(path):
            if target != app and target in LEVELS and LEVELS[target] >= LEVELS[app]:
                found.add((f"testigo/{relative.as_posix()}", target))
    return found


def test_promise_no_app_imports_an_app_on_its_level_or_above():
    new = upward_imports() - KNOWN
    assert not new, f"imports that point up or sideways (use a registry filled in AppConfig.ready): {sorted(new)}"


def test_promise_channels_and_alerts_do_not_import_each_other_in_a_loop():
    found = upward_imports()
    assert not {(p, a) for p, a in found if p.startswith(("testigo/channels/", "testigo/alerts/"))}


def test_the_list_of_known_violations_only_shrinks():
    fixed = KNOWN - upward_imports()
    assert not fixed, f"fixed (thank you): remove these from KNOWN: {sorted(fixed)}"


def test_every_app_of_the_package_has_a_level():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps <= set(LEVELS), f"give these apps a level in LEVELS: {sorted(apps - set(LEVELS))}"
