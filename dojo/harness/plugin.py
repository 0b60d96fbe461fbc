"""The pytest plugin: --impl and --level, the module under test, friendly failures, recorded results.

Loaded by the repository's conftest.py. Fixtures live in fixtures_redis / fixtures_pg, the
leaked-thread check in threads; per-run state is in `config.stash` (see state.py).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from ..race import Timeline
from ..services import REPLICA, ServiceUnavailable, from_environment, process, resident
from . import failures, impl
from .recorder import DEFAULT_FILE, Recorder
from .state import DOJO_STATE, TIMELINES, DojoState, dojo_state, parse_levels

pytest_plugins = [
    "dojo.harness.threads",
    "dojo.harness.exits",
    "dojo.harness.fixtures",
    "dojo.harness.fixtures_redis",
    "dojo.harness.fixtures_pg",
]

KATA_TEST = re.compile(r"^test_(?P<module>\w+)\.py$")
KATA_FOLDER = re.compile(r"^\d\d_\w+$")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("katas", "System Design Katas")
    group.addoption("--impl", default=None, help=f"code under test: {impl.CHOICES_HELP} (env KATAS_IMPL)")
    group.addoption(
        "--level",
        default=None,
        help="run one level (2) or a range (1-3); levels: 1 core, 2 edges, 3 concurrency, 4 evidence",
    )
    group.addoption(
        "--services",
        default=None,
        choices=("embedded", "docker", "url"),
        help="how to get servers (env KATAS_SERVICES; default: automatic)",
    )
    group.addoption("--redis-url", default=None, help="use this Redis server (env KATAS_REDIS_URL)")
    group.addoption("--postgres-url", default=None, help="use this PostgreSQL server (env KATAS_POSTGRES_URL)")
    group.addoption(
        "--dojo-results", default=None, help="where to record results (default .dojo/results.json; 'none' to skip)"
    )
    group.addoption(
        "--dojo-first", default=None, help="a file of node ids to run first (dojo watch: what failed last time)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "level(n): the kata level a test belongs to (1 core, 2 edges, 3 concurrency, 4 evidence)"
    )
    config.addinivalue_line("markers", "perf: compares timings; its threshold leaves a 3x margin")
    config.addinivalue_line(
        "markers", "optional(reason): needs a tool this machine may lack; left out of the count when skipped"
    )
    config.addinivalue_line("markers", "seed(seed): the test's database is a copy of this dojo.seeds.Seed's tables")
    config.addinivalue_line("markers", "pauses_replica: the test pauses the replica's replay (it gets it to itself)")
    try:
        config.stash[DOJO_STATE] = _state(config)
    except (impl.ImplError, ServiceUnavailable) as exc:
        raise pytest.UsageError(str(exc)) from None
    process.adopt_orphans()  # what the code under test spawns and abandons stays ours to end


def _state(config: pytest.Config) -> DojoState:
    root = Path(config.rootpath)
    option = config.getoption("impl")
    spec = option or os.environ.get("KATAS_IMPL") or "katas"
    impl_root = impl.impl_root(spec, root, "--impl" if option else "KATAS_IMPL")
    target = config.getoption("dojo_results")
    label = spec if spec in ("katas", "solutions") else str(impl_root)
    # Every run collects its results (the summary shows the evidence); `none` only skips the file.
    recorder = None
    if not hasattr(config, "workerinput"):
        path = None if target == "none" else Path(target) if target else root / DEFAULT_FILE
        recorder = Recorder(path, label)
    servers = from_environment(
        resident=resident.read(root),
        mode=config.getoption("services"),
        redis=config.getoption("redis_url"),
        postgres=config.getoption("postgres_url"),
    )
    return DojoState(root, spec, impl_root, parse_levels(config.getoption("level")), servers, recorder)


def kata_of(path: Path, root: Path) -> tuple[str, str] | None:
    """(kata folder, module name) for katas/NN_name/test_<module>.py, else None."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return None
    m = KATA_TEST.match(rel.name)
    if len(rel.parts) == 3 and rel.parts[0] == "katas" and KATA_FOLDER.match(rel.parts[1]) and m:
        return rel.parts[1], m.group("module")
    return None


class ImplNotLoadable(pytest.Module):
    """Stands in for a kata's test file when its module under test cannot be loaded."""

    message = ""

    def collect(self) -> list:
        raise self.CollectError(self.message)


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Before a kata's tests are imported, load the chosen implementation under the module's name."""
    state = dojo_state(parent.config)
    target = kata_of(Path(module_path), state.root)
    if target is None:
        return None
    kata, module = target
    try:
        state.loaded[kata] = impl.load(impl.module_file(state.impl_root, kata, module), module)
    except impl.ImplError as exc:
        node = ImplNotLoadable.from_parent(parent, path=module_path)
        node.message = str(exc)
        return node
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = dojo_state(config)
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("level")
        level = marker.args[0] if marker else None
        target = kata_of(Path(item.path), state.root)
        if target:
            item.user_properties.append(("kata", target[0]))
        item.user_properties.append(("level", level))
        if item.get_closest_marker("perf"):
            item.user_properties.append(("perf", True))
        if item.get_closest_marker("optional"):
            item.user_properties.append(("optional", True))
        (drop if state.levels and level not in state.levels else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    first = _first(config.getoption("dojo_first"))
    if first:
        items.sort(key=lambda item: item.nodeid not in first)  # stable: file order within each part


def _first(path: str | None) -> set[str]:
    if not path:
        return set()
    try:
        return {line.strip() for line in Path(path).read_text().splitlines() if line.strip()}
    except OSError:
        return set()


# --- friendly failures --------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator[None, Any, Any]:
    report = yield
    if not report.failed or call.excinfo is None:
        return report
    state = dojo_state(item.config)
    root = state.root
    line = failures.known_situation(call.excinfo, root)
    if line is None and failures.lost_connection(call.excinfo):
        line = _server_gone(item, state)
    if line is not None:
        report.longrepr = failures.OneLine(line, str(item.path))
    elif kata_of(Path(item.path), root) and not failures.wants_full_report(item.config):
        sentence, place = failures.sentence_and_place(call.excinfo, item, root)
        report.longrepr = failures.OneLine(sentence, str(item.path), place, _interleaving(item))
    return report


def _interleaving(item: pytest.Item) -> list[str]:
    """For a failing concurrency test (level 3): the steps of two of its clients, in the order the
    server answered them, trimmed (dojo.race.Timeline.story)."""
    marker = item.get_closest_marker("level")
    if not marker or marker.args[0] != 3:
        return []
    for source in item.stash.get(TIMELINES, []):
        timeline = source if isinstance(source, Timeline) else _as_timeline(source)
        story = timeline.story()
        if story:
            return ["  how the clients interleaved (in the order the server answered):", *(f"    {s}" for s in story)]
    return []


def _as_timeline(events: list) -> Timeline:
    timeline = Timeline()
    timeline.add(events)
    return timeline


def _server_gone(item: pytest.Item, state: DojoState) -> str | None:
    """One sentence when a server died mid-run; the run stops instead of failing every later test."""
    gone = state.servers.gone()
    if not gone:
        return None
    names = " and ".join(
        {"redis": "Redis", "postgres": "PostgreSQL", REPLICA: "the PostgreSQL replica"}[g] for g in gone
    )
    items = item.session.items
    left = len(items) - items.index(item) - 1 if item in items else 0
    item.session.shouldstop = (
        f"the {names} server stopped answering during the run (was it killed?): {left} test(s) after "
        f"{item.name} were not run"
    )
    return f"the {names} server stopped answering during this test (was it killed?), so the run stops here"


# --- results ------------------------------------------------------------------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    recorder = dojo_state(session.config).recorder
    if recorder is not None:
        session.config.pluginmanager.register(_RecordingPlugin(recorder), "dojo-recorder")


class _RecordingPlugin:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.recorder.add(report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = dojo_state(session.config)
    if state.recorder is not None:
        try:
            state.recorder.write()
        except OSError as exc:
            sys.stderr.write(f"dojo: could not record results ({exc})\n")


def pytest_unconfigure(config: pytest.Config) -> None:
    """After every fixture's teardown: stop the servers, then anything else the run started."""
    state = config.stash.get(DOJO_STATE, None)
    if state is not None:
        state.servers.close()
        ended = process.end_descendants()
        if ended:
            sys.stderr.write(
                f"dojo: ended {len(ended)} process(es) the tests had started and left running (pids {ended[:5]}).\n"
            )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    recorder = dojo_state(config).recorder
    rows = [(result.function, ev) for result in (recorder.tests.values() if recorder else []) for ev in result.evidence]
    if rows:
        terminalreporter.section("evidence measured on this machine")
        for test, ev in rows:
            claim = f"  (POC list claims {ev['claim']})" if ev.get("claim") else ""
            value = ev["value"]
            shown = f"{value:g}{ev['unit']}" if isinstance(value, (int, float)) else str(value)
            terminalreporter.write_line(f"{ev['name']}: {shown}{claim}  — {ev.get('detail') or test}")
