"""Run pytest on katas in a child process and read back what it recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import results

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    returncode: int
    output: str
    tests: dict[str, dict] = field(default_factory=dict)

    def outcomes(self) -> dict[str, str]:
        """Test function name → passed / failed / skipped; a parametrized test failed if any case did."""
        out: dict[str, str] = {}
        for nodeid, test in self.tests.items():
            name = nodeid.split("::")[-1].split("[", 1)[0]
            if out.get(name) != "failed":
                out[name] = test["outcome"]
        return out


def run_pytest(
    targets: list[str],
    *,
    impl: str = "katas",
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = 600,
    cwd: Path = ROOT,
) -> Run:
    """`python -m pytest TARGETS --impl=IMPL` in a child; its recorded results come back parsed."""
    with tempfile.TemporaryDirectory(prefix="katas-run-") as tmp:
        record = Path(tmp) / "results.json"
        argv = [
            sys.executable,
            "-m",
            "pytest",
            *targets,
            f"--impl={impl}",
            f"--dojo-results={record}",
            "-p",
            "no:cacheprovider",
        ]
        child_env = dict(os.environ if env is None else env)
        child_env.pop("PYTEST_ADDOPTS", None)
        done = subprocess.run(
            argv + (extra or []), cwd=cwd, env=child_env, capture_output=True, text=True, timeout=timeout_s
        )
        data = results.load(record)
        tests = next(iter(data.values()), {}) if data else {}
        return Run(done.returncode, done.stdout + done.stderr, tests)
