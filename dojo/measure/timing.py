"""Fair timing comparisons, for when time is the point, and server-side time."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ServerTime:
    """Microseconds a server spent executing some commands or statements, and how many ran."""

    usec: float
    calls: int

    @property
    def mean_usec(self) -> float | None:
        return self.usec / self.calls if self.calls else None

    def since(self, before: ServerTime) -> ServerTime:
        return ServerTime(self.usec - before.usec, self.calls - before.calls)


@dataclass
class Comparison:
    """Median seconds of two variants timed interleaved, and how many times faster `pattern` was."""

    baseline_s: float
    pattern_s: float
    repeats: int

    @property
    def ratio(self) -> float:
        return self.baseline_s / self.pattern_s if self.pattern_s > 0 else float("inf")

    def __str__(self) -> str:
        return f"{self.baseline_s * 1000:.2f} ms → {self.pattern_s * 1000:.2f} ms ({self.ratio:.1f}×, median of {self.repeats})"


def compare(baseline: Callable[[], Any], pattern: Callable[[], Any], repeats: int = 7, warmup: int = 1) -> Comparison:
    """Time `baseline` and `pattern` alternately (so load on the machine hits both) and compare medians."""
    for _ in range(warmup):
        baseline()
        pattern()
    base, pat = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        baseline()
        t1 = time.perf_counter()
        pattern()
        t2 = time.perf_counter()
        base.append(t1 - t0)
        pat.append(t2 - t1)
    return Comparison(statistics.median(base), statistics.median(pat), repeats)
