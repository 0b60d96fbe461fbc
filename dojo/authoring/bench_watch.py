"""How soon `dojo watch` shows what a save fixed: `python -m dojo.authoring.bench_watch [--rounds N]`.

Starts `dojo watch 03` on kata 03's reference with a check-then-act `extend()` (its tests, in the
middle of the file, fail), then, round after round, saves the atomic `extend()` and times from the
save to the first line that gives the verdict on the tests that failed ("now passing: …", or the
failed-first summary), then breaks it again. Prints each fix and the median. A benchmark, not a
test: the figure depends on the machine. `--project DIR` measures another checkout (e.g. an older
commit's `dojo watch`).
"""

from __future__ import annotations

import argparse
import ast
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..catalog import PACKAGE_ROOT as ROOT

BROKEN = "if r.get(name) != token:\n    return False\nreturn bool(r.pexpire(name, ttl_ms))"
FIRST_VERDICT = ("now passing:", "that failed last time")


def with_body(source: str, function: str, body: str) -> str:
    """`source` with the body of `function` (after its docstring, if any) replaced by `body`."""
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    first = node.body[1] if ast.get_docstring(node) and len(node.body) > 1 else node.body[0]
    lines = source.splitlines()
    lines[first.lineno - 1 : node.end_lineno] = ["    " + line for line in body.splitlines()]
    return "\n".join(lines) + "\n"


def wait_for(log: Path, offset: int, needles: tuple[str, ...], timeout_s: float = 60) -> tuple[float, int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        tail = text[offset:]
        for needle in needles:
            at = tail.find(needle)
            if at >= 0:
                return time.monotonic(), offset + at + len(needle)
        time.sleep(0.005)
    raise SystemExit(f"no {needles} within {timeout_s} s:\n{log.read_text()[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fixes to time")
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout whose `dojo watch` to measure")
    args = parser.parse_args()
    fixed = (ROOT / "solutions" / "03_lock" / "lock.py").read_text()
    broken = with_body(fixed, "extend", BROKEN)
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        impl = Path(tmp) / "impl"
        impl.mkdir()
        mine = impl / "lock.py"
        mine.write_text(broken)
        log = Path(tmp) / "watch.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KATAS_"))}
        with open(log, "w") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "dojo", "watch", "03", f"--impl={impl}"],
                cwd=args.project,
                env={**env, "COLUMNS": "200"},
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _, offset = wait_for(log, 0, ("Watching for saves",))
            times = []
            for round_ in range(args.rounds):
                saved = time.monotonic()
                mine.write_text(fixed)
                seen, offset = wait_for(log, offset, FIRST_VERDICT)
                times.append(seen - saved)
                print(f"fix {round_ + 1}: first verdict {times[-1]:.2f} s after the save", flush=True)
                _, offset = wait_for(log, offset, ("Watching for saves",))
                mine.write_text(broken)
                _, offset = wait_for(log, offset, ("now failing:",))
                _, offset = wait_for(log, offset, ("Watching for saves",))
            print(f"median {statistics.median(times):.2f} s, best {min(times):.2f} s over {len(times)} saves")
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(30)


if __name__ == "__main__":
    main()
