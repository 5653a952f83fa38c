"""Where a benchmark's time goes: a pyinstrument profile of one block, written to stderr.

pyinstrument samples the call stack every millisecond instead of hooking every call, so
the profile keeps the proportions of an unprofiled run (cProfile's per-call hooks inflate
the ORM's many small calls several times over and hide where the time really goes).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pyinstrument import Profiler

INTERVAL = 0.001  # seconds between samples


@contextmanager
def profiled(title: str) -> Iterator[None]:
    """Profile the block on the calling thread; print its call tree to stderr."""
    profiler = Profiler(interval=INTERVAL, async_mode="disabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        sys.stderr.write(f"Profile of {title}:\n")
        sys.stderr.write(profiler.output_text(unicode=True, color=False, show_all=False))
