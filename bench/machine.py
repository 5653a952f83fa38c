"""How fast this machine runs Python, printed first by every benchmark.

The same commit measures up to twice as fast on one day's machine as on another's, so a
figure means little without the speed of the machine behind it. Every benchmark starts by
printing one JSON line, ``{"benchmark": "machine", ...}``, whose ``calibration_ms`` is the
best of ten runs of a fixed pure-Python workload (integer sums, a dict, a sort and string
formatting, the kind of work an ORM does per row): a smaller number is a faster machine.
Figures from two machines compare once each is scaled by its machine's calibration.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

RUNS = 10
SIZE = 200_000


def workload(size: int = SIZE) -> int:
    """A fixed mix of interpreter work; returns a checksum so nothing is optimised away."""
    table: dict[int, str] = {}
    total = 0
    for number in range(size):
        total += number * 7 % 13
        if number % 3 == 0:
            table[number] = f"row-{number:06d}"
    ordered = sorted(table.values(), reverse=True)
    return total + len(ordered[0])


def calibration_ms(runs: int = RUNS) -> float:
    """The best of `runs` timings of the workload, in milliseconds."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        workload()
        best = min(best, time.perf_counter() - started)
    return round(best * 1e3, 1)


def describe() -> dict[str, object]:
    """The machine line: calibration, processor, cores, load and Python version."""
    return {
        "benchmark": "machine",
        "calibration_ms": calibration_ms(),
        "processor": _processor(),
        "cores": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def print_machine() -> None:
    """Print the machine line on stdout, before any figure."""
    sys.stdout.write(json.dumps(describe()) + "\n")
    sys.stdout.flush()


def _processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
