"""Long CPU-bound runs over many new objects (a bulk import) without the garbage collector
walking the whole process each time it runs.

Python's collector traverses every tracked container object in a full collection: in a web or
worker process that is Django's own state (models, URL patterns, templates, translations), tens of
thousands of objects that live for ever. An import creating a few lists per row triggered enough
collections to spend about a tenth of its CPU walking them (bench/bench_import.py, profiled with
CPU time). gc.freeze() moves the objects existing at the start to the permanent generation, which
collections skip; objects the run creates are collected as usual, so nothing leaks. In a forked
child, freezing also keeps the collector from touching (and so copying) the pages it shares with
its parent.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Within: the objects that existed on entry are skipped by the collector. On exit they are
    handed back to it (unless something else had already frozen the heap: then it stays so)."""
    if gc.get_freeze_count():  # frozen by someone else (a pre-forking server): leave it to them
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
