"""`dojo watch`: re-run a kata on every save, on servers kept warm for the whole session."""

from __future__ import annotations

import argparse
import queue
import threading
import time
from pathlib import Path

import watchfiles
from rich.rule import Rule
from rich.text import Text

from ..catalog import Kata
from ..errors import DojoError
from ..harness import impl
from ..outcomes import PASSED, function_of, teach
from ..runs.warm import warm
from . import progress, report
from .console import fancy, out, sym
from .context import Context, add_impl
from .session import header, run_kata, services_of


class Watcher:
    """Watches some folders in a thread; each batch of saved .py files sets `changed` and is queued."""

    def __init__(self) -> None:
        self.batches: queue.Queue[set[str]] = queue.Queue()
        self.changed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, paths: list[Path]) -> None:
        self.stop()
        self._stop = threading.Event()
        stop = self._stop

        def loop() -> None:
            for batch in watchfiles.watch(
                *paths,
                watch_filter=watchfiles.PythonFilter(),
                stop_event=stop,
                step=30,
                rust_timeout=500,
                raise_interrupt=False,
            ):
                self.batches.put({p for _change, p in batch})
                self.changed.set()

        self._thread = threading.Thread(target=loop, name="dojo-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def wait(self) -> set[str]:
        """Block until something is saved (Ctrl-C still works); returns the saved files."""
        while True:
            try:
                batch = self.batches.get(timeout=0.2)
            except queue.Empty:
                continue
            while not self.batches.empty():
                batch |= self.batches.get_nowait()
            self.changed.clear()
            return batch


def watched_paths(root: Path, kata: Kata, impl_spec: str) -> list[Path]:
    """The learner's module's folder and the kata's folder (its tests)."""
    try:
        module = impl.module_file(impl.impl_root(impl_spec, root), kata.folder, kata.module)
    except impl.ImplError as exc:
        raise DojoError(str(exc)) from None
    return list(dict.fromkeys([module.parent, kata.folder_path]))


class Changes:
    """Prints a test the moment it changes from the previous run (now passing / now failing), and,
    once the tests that failed last time (run first) have all reported, their verdict in one line —
    so a save shows what it fixed within a second, before the rest of the kata has run."""

    def __init__(self) -> None:
        self.previous: dict[str, str] = {}
        self.first: list[str] = []
        self._seen: dict[str, dict] = {}

    def __call__(self, event: dict) -> None:
        if "result" not in event or not self.previous:
            return
        nodeid, outcome = event["result"], event.get("outcome")
        before = self.previous.get(nodeid)
        if outcome == PASSED and before != PASSED:
            out().print(Text(f"{sym('ok')} now passing: {function_of(nodeid)}", "ok"))
        elif outcome != PASSED and before == PASSED:
            out().print(Text(f"{sym('bad')} now failing: {function_of(nodeid)}", "bad"))
        if nodeid in self.first and nodeid not in self._seen:
            self._seen[nodeid] = event
            if len(self._seen) == len(self.first):
                self._verdict()

    def _verdict(self) -> None:
        still = [e for e in self._seen.values() if e.get("outcome") != PASSED]
        fixed = len(self.first) - len(still)
        if not still:
            out().print(
                Text(f"{sym('ok')} all {fixed} test(s) that failed last time pass now; running the rest…", "ok")
            )
            return
        worst = still[0]
        out().print(
            Text.assemble(
                (f"{sym('bad')} {len(still)} of {len(self.first)} that failed last time still fail", "bad"),
                f" — {function_of(worst['result'])}: {teach(worst.get('message', ''))}",
            )
        )

    def remember(self, run_tests: dict) -> None:
        self.previous = {n: t.outcome for n, t in run_tests.items()}
        self.first = [n for n, outcome in self.previous.items() if outcome != PASSED]
        self._seen = {}

    def first_file(self, folder: Path) -> list[str]:
        """`--dojo-first FILE` for the next run: what failed last time runs first."""
        if not self.first:
            return []
        path = folder / "watch-first.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.first) + "\n")
        return ["--dojo-first", str(path)]


def _next_kata(root: Path, katas: list[Kata], impl_spec: str) -> Kata | None:
    data, _ = progress.read_results(root)
    following = progress.first_unfinished(progress.all_progress(katas, data, progress.impl_label(impl_spec, root)))
    return following.kata if following else None


def cmd_watch(root: Path, katas: list[Kata], chosen: Kata | None, impl_spec: str) -> int:
    """Watch `chosen`, or follow the first unfinished kata from one to the next."""
    console = out()
    kata = chosen or _next_kata(root, katas, impl_spec)
    if kata is None:
        console.print(Text("Every available kata is solved: nothing to watch.", "ok"))
        return 0
    watcher = Watcher()
    changes = Changes()
    services = services_of([kata] if chosen else [k for k in katas if k.available])
    try:
        with warm(root, services) as w:
            for note in w.notes:
                console.print(Text(note, "warn"))
            saved: set[str] = set()
            watcher.start(watched_paths(root, kata, impl_spec))
            while True:
                if fancy():
                    console.clear()
                else:
                    stamp = time.strftime("%H:%M:%S")
                    what = ", ".join(sorted(Path(p).name for p in saved)) or "start"
                    console.print(Rule(f"{stamp} · {what}", style="dim"))
                console.print(header(kata, impl_spec))
                watcher.changed.clear()
                first = changes.first_file(root / ".dojo")
                run = run_kata(
                    root, kata, impl_spec, w, cancel=watcher.changed, quiet=True, on_event=changes, extra=first
                )
                if run.cancelled:  # saved again while running: start over with the newest code
                    saved = watcher.wait()
                    continue
                changes.remember(run.of_kata(kata.folder))
                console.print(report.summary(kata, run, root))
                tests = report.ordered_tests(kata, run)
                if chosen is None and tests and report.first_failure(tests) is None:
                    following = _next_kata(root, katas, impl_spec)
                    if following is not None and following != kata:
                        console.print(Text.assemble("On to ", (following.folder, "kata"), "…"))
                        kata = following
                        changes.remember({})
                        watcher.start(watched_paths(root, kata, impl_spec))
                        saved = set()
                        continue
                console.print(Text("Watching for saves… (Ctrl-C to stop)", "dim"))
                saved = watcher.wait()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    console.print("Stopped watching; no server or test run is left running.")
    return 0


HELP = "re-run a kata on every save, servers kept warm (Ctrl-C to stop)"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    p.add_argument("kata", nargs="?", help="the kata to watch (default: follow the first unfinished one)")
    add_impl(p)


def main(ctx: Context) -> int:
    chosen = ctx.kata(ctx.args.kata) if ctx.args.kata else None
    return cmd_watch(ctx.root, ctx.katas, chosen, ctx.impl)
