"""Every test run records its results, so `dojo list` and reports need no re-run."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(".dojo") / "results.json"


class Recorder:
    """Collects one outcome per test (setup/call/teardown folded) and merges them into a JSON file.

    The file maps impl label → node id → {outcome, kata, level, message, evidence, when}.
    A newer run of a test replaces its older result; other tests' results are kept.
    """

    def __init__(self, path: Path | None, impl_label: str) -> None:
        self.path = path
        self.impl_label = impl_label
        self.tests: dict[str, dict[str, Any]] = {}

    def add(self, report: Any) -> None:
        props = dict(p for p in report.user_properties if p[0] != "evidence")
        entry = self.tests.setdefault(
            report.nodeid,
            {
                "outcome": "passed",
                "kata": props.get("kata"),
                "level": props.get("level"),
                "perf": bool(props.get("perf")),
                "message": "",
                "evidence": [],
                "duration_s": 0.0,
            },
        )
        entry["duration_s"] = round(entry["duration_s"] + getattr(report, "duration", 0.0), 4)
        for name, value in report.user_properties:
            if name == "evidence" and value not in entry["evidence"]:
                entry["evidence"].append(value)
        if report.failed and entry["outcome"] != "failed":
            entry["outcome"] = "failed"
            entry["message"] = first_line(report)
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"

    def write(self) -> None:
        if not self.tests or self.path is None:
            return
        data = load(self.path)
        section = data.setdefault(self.impl_label, {})
        now = time.time()
        for nodeid, entry in self.tests.items():
            section[nodeid] = {**entry, "when": now}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".results-")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


def first_line(report: Any) -> str:
    """The teaching line of a failure: the assertion message or the error, not the traceback."""
    longrepr = report.longrepr
    crash = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    text = crash if crash else str(longrepr or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0][:500] if lines else ""


def load(path: Path) -> dict:
    """The recorded results, or {} when there are none yet or the file is damaged."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
