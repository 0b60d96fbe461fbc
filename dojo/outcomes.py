"""What one test's run came to: the one shape the recorder writes, child runs read and dojo shows.

Only "passed" passes. A skipped, errored or missing test earns nothing anywhere — in `dojo list`,
`dojo grade` and every report. A test marked `optional` (it needs a tool a machine may lack, such
as pgbouncer) that skipped is left out of a learner's progress (`dojo list`, `dojo next`); a grade
still counts it as failed (the grading workflow installs the tools, and a skip must never earn a
point), so `counted` is for progress only.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
NOT_RUN = "not run"


@dataclass
class TestResult:
    """One test (setup, call and teardown folded into one outcome)."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str = PASSED
    kata: str | None = None
    level: int | None = None
    perf: bool = False
    optional: bool = False
    message: str = ""
    evidence: list[dict] = field(default_factory=list)
    duration_s: float = 0.0
    when: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED

    @property
    def counted(self) -> bool:
        """False for an optional test that was skipped: it neither earns nor costs anything."""
        return not (self.optional and self.outcome == SKIPPED)

    @property
    def function(self) -> str:
        """`test_x` for `katas/03_lock/test_lock.py::TestCore::test_x[param]`."""
        return function_of(self.nodeid)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["nodeid"]
        return data

    @classmethod
    def from_json(cls, nodeid: str, data: Any) -> TestResult:
        """A result read back from JSON; unknown keys are ignored, a damaged entry reads as failed."""
        if not isinstance(data, dict):
            return cls(nodeid, outcome=FAILED, message="damaged result entry")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "nodeid"}
        result = cls(nodeid, **known)
        result.outcome = str(result.outcome)
        return result


def function_of(nodeid: str) -> str:
    """`test_x` for `katas/03_lock/test_lock.py::TestCore::test_x[param]`."""
    return nodeid.split("::")[-1].split("[")[0]


def kata_of_nodeid(nodeid: str) -> str | None:
    """`03_lock` for `katas/03_lock/test_lock.py::…`."""
    parts = nodeid.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "katas" else None


_TIMEOUT = re.compile(r"Timeout \(>([\d.]+)s\) from pytest-timeout")


def teach(message: str) -> str:
    """A failure line as a learner should read it (pytest-timeout's wording becomes a sentence)."""
    m = _TIMEOUT.search(message or "")
    if m:
        return f"timed out after {float(m.group(1)):g} s: the code hung (an endless loop, or a wait that never ends)"
    return message
