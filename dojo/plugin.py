"""The pytest plugin: --impl and --level, server fixtures, friendly failures, recorded results."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from . import impl, results
from .measure import Evidence
from .race import ReplyHook, hooked_client
from .services import Servers, ServiceUnavailable, from_environment, resident
from .services.redis_isolation import RedisDatabase, redis_db_url

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


# --- configuration ------------------------------------------------------------------------------


class Dojo:
    """Per-run state, kept on the pytest config."""

    def __init__(self, config: pytest.Config) -> None:
        self.root = Path(config.rootpath)
        self.impl_spec = config.getoption("impl") or os.environ.get("KATAS_IMPL") or "katas"
        self.impl_root = impl.impl_root(self.impl_spec, self.root)
        self.levels = parse_levels(config.getoption("level"))
        self.servers: Servers = from_environment(
            resident=resident.read(self.root),
            mode=config.getoption("services"),
            redis=config.getoption("redis_url"),
            postgres=config.getoption("postgres_url"),
        )
        self.loaded: dict[str, Any] = {}
        target = config.getoption("dojo_results")
        label = self.impl_spec if self.impl_spec in ("katas", "solutions") else str(self.impl_root)
        # Every run collects its results (the summary shows the evidence); `none` only skips the file.
        self.recorder = (
            None
            if hasattr(config, "workerinput")
            else results.Recorder(
                None if target == "none" else Path(target) if target else self.root / results.DEFAULT_FILE, label
            )
        )


def parse_levels(text: str | None) -> set[int] | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*([1-4])\s*(?:-\s*([1-4])\s*)?", text)
    if not m:
        raise pytest.UsageError(f"--level={text}: use a level from 1 to 4, or a range such as 1-3.")
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    return set(range(lo, hi + 1))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "level(n): the kata level a test belongs to (1 core, 2 edges, 3 concurrency, 4 evidence)"
    )
    config.addinivalue_line("markers", "perf: compares timings; its threshold leaves a 3x margin")
    try:
        config._dojo = Dojo(config)  # type: ignore[attr-defined]
    except impl.ImplError as exc:
        raise pytest.UsageError(str(exc)) from None
    except ServiceUnavailable as exc:
        raise pytest.UsageError(str(exc)) from None


def _dojo(config: pytest.Config) -> Dojo:
    return config._dojo  # type: ignore[attr-defined]


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
    dojo = _dojo(parent.config)
    target = kata_of(Path(module_path), dojo.root)
    if target is None:
        return None
    kata, module = target
    try:
        dojo.loaded[kata] = impl.load(impl.module_file(dojo.impl_root, kata, module), module)
    except impl.ImplError as exc:
        node = ImplNotLoadable.from_parent(parent, path=module_path)
        node.message = str(exc)
        return node
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dojo = _dojo(config)
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("level")
        level = marker.args[0] if marker else None
        target = kata_of(Path(item.path), dojo.root)
        if target:
            item.user_properties.append(("kata", target[0]))
        item.user_properties.append(("level", level))
        if item.get_closest_marker("perf"):
            item.user_properties.append(("perf", True))
        (drop if dojo.levels and level not in dojo.levels else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --- friendly failures --------------------------------------------------------------------------


def _not_implemented_line(excinfo: pytest.ExceptionInfo, root: Path) -> str | None:
    """'not implemented yet: acquire() in katas/03_lock/lock.py' for a stub's NotImplementedError."""
    if not excinfo.errisinstance(NotImplementedError):
        return None
    tb = excinfo.value.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return None
    code = last.tb_frame.f_code
    path = Path(code.co_filename)
    try:
        shown = path.relative_to(root)
    except ValueError:
        shown = path
    detail = str(excinfo.value).strip()
    return f"not implemented yet: {code.co_name}() in {shown}" + (f" ({detail})" if detail else "")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if not report.failed or call.excinfo is None:
        return
    line = _not_implemented_line(call.excinfo, _dojo(item.config).root)
    if line is None and call.excinfo.errisinstance(ServiceUnavailable):
        line = str(call.excinfo.value)
    if line is None and "pg_stat_statements must be loaded" in str(call.excinfo.value):
        line = (
            "this test reads pg_stat_statements, which this PostgreSQL server does not preload: start it with "
            "shared_preload_libraries=pg_stat_statements (the embedded server and docker-compose.yml do)"
        )
    if line is not None:
        report.longrepr = OneLine(line, str(item.path))


class OneLine:
    """A failure shown as one sentence, also in the short summary, instead of a traceback."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.reprcrash = SimpleNamespace(message=text, path=path, lineno=0)

    def toterminal(self, tw: Any) -> None:
        tw.line(self.text, red=True)

    def __str__(self) -> str:
        return self.text


# --- results ------------------------------------------------------------------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    dojo = _dojo(session.config)
    if dojo.recorder is not None:
        session.config.pluginmanager.register(_RecordingPlugin(dojo.recorder), "dojo-recorder")


class _RecordingPlugin:
    def __init__(self, recorder: results.Recorder) -> None:
        self.recorder = recorder

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.recorder.add(report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    dojo = _dojo(session.config)
    if dojo.recorder is not None:
        try:
            dojo.recorder.write()
        except OSError as exc:
            sys.stderr.write(f"dojo: could not record results ({exc})\n")
    dojo.servers.close()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    dojo = _dojo(config)
    rows = [
        (nodeid.split("::")[-1], ev)
        for nodeid, entry in (dojo.recorder.tests.items() if dojo.recorder else [])
        for ev in entry["evidence"]
    ]
    if rows:
        terminalreporter.section("evidence measured on this machine")
        for test, ev in rows:
            claim = f"  (POC list claims {ev['claim']})" if ev.get("claim") else ""
            value = ev["value"]
            shown = f"{value:g}{ev['unit']}" if isinstance(value, (int, float)) else str(value)
            terminalreporter.write_line(f"{ev['name']}: {shown}{claim}  — {ev.get('detail') or test}")


# --- fixtures -----------------------------------------------------------------------------------


def _worker_index() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name[2:]) if name[2:].isdigit() else 0


@pytest.fixture(scope="session")
def dojo_servers(pytestconfig: pytest.Config) -> Servers:
    """The run's servers (started or found on first use)."""
    return _dojo(pytestconfig).servers


@pytest.fixture(scope="session")
def _redis_database(dojo_servers: Servers) -> Iterator[RedisDatabase]:
    db = RedisDatabase(redis_db_url(dojo_servers.url("redis"), _worker_index()))
    yield db
    db.close()


@pytest.fixture
def redis_url(_redis_database: RedisDatabase) -> Iterator[str]:
    """URL of an empty Redis database for this test (flushed afterwards); for other clients and processes."""
    _redis_database.ensure_empty()
    yield _redis_database.url
    _redis_database.flush()


@pytest.fixture
def make_redis(redis_url: str) -> Iterator[Callable[..., Any]]:
    """Factory for more clients on the test's database: make_redis(on_reply=hook) hooks each reply
    (and, with pipelines=True, each queued command of a pipeline once its replies are in)."""
    import redis

    clients: list[redis.Redis] = []

    def make(on_reply: ReplyHook | None = None, pipelines: bool = False, **kwargs: Any) -> redis.Redis:
        kwargs.setdefault("decode_responses", True)
        if on_reply:
            client = hooked_client(redis_url, on_reply, pipelines=pipelines, **kwargs)
        else:
            client = redis.Redis.from_url(redis_url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def r(make_redis: Callable[..., Any]) -> Any:
    """A redis.Redis (decode_responses=True) on an empty database of its own."""
    return make_redis()


@pytest.fixture(scope="session")
def _postgres_databases(dojo_servers: Servers) -> Iterator[Any]:
    from .services.pg_isolation import PostgresDatabases

    dbs = PostgresDatabases(dojo_servers.url("postgres"))
    yield dbs
    dbs.close()


@pytest.fixture
def pg_dsn(_postgres_databases: Any) -> Iterator[str]:
    """Conninfo of a fresh PostgreSQL database for this test (dropped afterwards)."""
    dsn = _postgres_databases.create()
    yield dsn
    _postgres_databases.drop(dsn)


@pytest.fixture(scope="module")
def module_pg_dsn(_postgres_databases: Any) -> Iterator[str]:
    """A fresh PostgreSQL database shared by one test module (for costly seed data); dropped afterwards.

    Tests sharing it isolate themselves, e.g. with a schema each.
    """
    dsn = _postgres_databases.create()
    yield dsn
    _postgres_databases.drop(dsn)


@pytest.fixture
def conn(pg_dsn: str) -> Iterator[Any]:
    """A psycopg Connection to the test's own database: autocommit off, default row factory."""
    import psycopg

    with psycopg.connect(pg_dsn) as connection:
        yield connection


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Records what a level-4 test measured, shown at the end of the run and by `dojo bench`."""
    return Evidence(records=_Appender(request.node.user_properties))


class _Appender(list):
    """A list whose appends also land in the test report's user_properties."""

    def __init__(self, sink: list) -> None:
        super().__init__()
        self._sink = sink

    def append(self, item: Any) -> None:
        super().append(item)
        self._sink.append(("evidence", item))


@pytest.fixture
def kata_module(request: pytest.FixtureRequest) -> Any:
    """The module under test of the current kata, as loaded from --impl."""
    target = kata_of(Path(request.node.path), _dojo(request.config).root)
    if target is None:
        raise RuntimeError("kata_module is only for tests in katas/NN_name/")
    return _dojo(request.config).loaded[target[0]]
