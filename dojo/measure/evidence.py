"""What a level-4 test measured, kept with the test's result for reports (`dojo bench`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .timing import Comparison, compare


@dataclass
class Evidence:
    """What a level-4 test measured, kept with the test's result for reports (`dojo bench`)."""

    records: list[dict] = field(default_factory=list)

    def record(self, name: str, value: float, unit: str = "", *, claim: str | None = None, detail: str = "") -> None:
        self.records.append({"name": name, "value": value, "unit": unit, "claim": claim, "detail": detail})

    def compare(
        self,
        name: str,
        baseline: Callable[[], Any],
        pattern: Callable[[], Any],
        *,
        claim: str | None = None,
        repeats: int = 7,
    ) -> Comparison:
        result = compare(baseline, pattern, repeats=repeats)
        self.records.append(
            {
                "name": name,
                "value": round(result.ratio, 2),
                "unit": "×",
                "claim": claim,
                "baseline_ms": round(result.baseline_s * 1000, 3),
                "pattern_ms": round(result.pattern_s * 1000, 3),
                "detail": str(result),
            }
        )
        return result
