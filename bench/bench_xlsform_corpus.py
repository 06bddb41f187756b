"""Real XLSForms in, as field teams bring them: of the forms in tests/surveys/xlsform_corpus/ that
pyxform (the reference converter) accepts, the share Testigo imports as a survey, and the slowest
import. Issue #16's targets: >= 95% of what pyxform accepts, none over 30 s.

Every form is imported through the same service as the console's upload, in a transaction rolled
back afterwards, with a time budget: 30 s (the target), 5 s with QUICK. A form that runs out of
budget counts as not imported and the slowest import is then reported as at least the budget.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "surveys" / "xlsform_corpus"


def pyxform_accepts(path: Path) -> bool:
    from pyxform.xls2xform import convert

    try:
        convert(xlsform=str(path))
    except Exception:  # noqa: BLE001 - any refusal of pyxform's counts as "not accepted"
        return False
    return True


class OutOfBudget(Exception):
    pass


def _out_of_budget(signum, frame):
    raise OutOfBudget


def testigo_imports(path: Path, budget: float) -> tuple[bool, float, str]:
    from django.db import transaction

    from testigo.core import roles
    from testigo.surveys import services

    started = time.perf_counter()
    signal.signal(signal.SIGALRM, _out_of_budget)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        with transaction.atomic():
            services.import_xlsform(actor=roles.SYSTEM, data=path.read_bytes(), filename=path.name)
            transaction.set_rollback(True)
    except OutOfBudget:
        return False, time.perf_counter() - started, f"still running after {budget:g} s"
    except Exception as exc:  # noqa: BLE001 - a refusal, translated or not, is what we count
        return False, time.perf_counter() - started, f"{type(exc).__name__}: {str(exc)[:120]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return True, time.perf_counter() - started, ""


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")  # openpyxl's "unknown extension" notes on real files
    _seed.setup_django()
    forms = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in {".xls", ".xlsx"})
    accepted = [p for p in forms if pyxform_accepts(p)]
    budget = 5.0 if _seed.QUICK else 30.0
    results = {p: testigo_imports(p, budget) for p in accepted}
    imported = [p for p, (ok, _seconds, _why) in results.items() if ok]
    slowest_path = max(results, key=lambda p: results[p][1], default=None)
    slowest = results[slowest_path][1] if slowest_path else 0.0
    _seed.emit("xlsform_corpus.pyxform_accepted", len(accepted), "forms", n=len(forms))
    _seed.emit("xlsform_corpus.imported_share", round(100 * len(imported) / max(1, len(accepted)), 1), "%",
               target=">= 95", n=len(accepted), imported=len(imported))
    _seed.emit("xlsform_corpus.slowest_import", round(slowest, 2), "s", target="<= 30", n=len(accepted),
               form=str(slowest_path.relative_to(CORPUS)) if slowest_path else None,
               out_of_budget=bool(slowest_path and results[slowest_path][2].startswith("still running")))
    largest = max(accepted, key=lambda p: p.stat().st_size, default=None)
    if largest is not None:
        _seed.emit("xlsform_corpus.largest_form_import", round(results[largest][1], 2), "s", target="<= 30",
                   n=1, form=str(largest.relative_to(CORPUS)), bytes=largest.stat().st_size,
                   imported=results[largest][0])
    for path, (ok, _seconds, why) in sorted(results.items()):
        if not ok:
            print(f"# refused: {path.relative_to(CORPUS)} — {why}", flush=True)


if __name__ == "__main__":
    main()
