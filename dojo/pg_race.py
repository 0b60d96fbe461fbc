"""Force interleavings in PostgreSQL: connections stepped statement by statement, and hooks on the
connections that code under test opens itself.

Stepped connections (the `pg_steps` fixture) are driven by the test, one statement at a time,
each in a thread of its own, so a statement that waits for another connection's lock does not
stop the test: `step()` returns once the statement is done *or* blocked, and says by whom —
from `pg_blocking_pids()`, never a sleep:

    a, b = pg_steps.connect("A"), pg_steps.connect("B")
    a.step("BEGIN"); b.step("BEGIN")
    a.step("UPDATE accounts SET balance_cents = 0 WHERE id = 1")
    waiting = b.step("UPDATE accounts SET balance_cents = 5 WHERE id = 1")
    assert waiting.blocked_by == ["A"]
    a.step("COMMIT"); waiting.result()

Code under test that opens its own connections (a pool, `run_serializable(dsn, fn)`, a router)
is reached through an interposer on `psycopg.connect` (the `pg_interposer` fixture): every
statement of every such connection passes through hooks that count it, hold it at a barrier,
pause it, or end the connection right after it (a crash between two steps).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from .race import IdleBarrier

BLOCK_POLL_S = 0.002
STEP_TIMEOUT_S = 10.0


# --- stepped connections -----------------------------------------------------------------------------


class Step:
    """One statement sent by a stepped connection: finished, failed, or blocked waiting for a lock."""

    def __init__(self, stepper: Stepper, sql: str, params: Any = None) -> None:
        self.stepper = stepper
        self.sql = sql
        self.params = params
        self.finished = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.blocked_by: list[str] = []

    @property
    def blocked(self) -> bool:
        """Waiting for a lock another connection holds (when `step()` returned)."""
        return bool(self.blocked_by) and not self.finished.is_set()

    def result(self, timeout_s: float = STEP_TIMEOUT_S) -> Any:
        """Rows (a SELECT) or the row count, once the statement has finished; re-raises its error."""
        if not self.finished.wait(timeout_s):
            raise AssertionError(
                f"{self.stepper.name}'s {_short(self.sql)!r} was still waiting after {timeout_s:g} s "
                f"(blocked by {', '.join(self.stepper.steps.blockers(self.stepper.pid)) or 'nobody'})"
            )
        if self.error is not None:
            raise self.error
        return self.value

    def failed_with(self, timeout_s: float = STEP_TIMEOUT_S) -> str | None:
        """The SQLSTATE the statement failed with (e.g. '40001'), or None if it succeeded."""
        self.finished.wait(timeout_s)
        return getattr(self.error, "sqlstate", None) if self.error is not None else None


class Stepper:
    """A connection run by a thread of its own and driven by the test one statement at a time."""

    def __init__(self, steps: Steps, name: str, dsn: str, autocommit: bool) -> None:
        self.steps = steps
        self.name = name
        self._work: queue.Queue[Step | None] = queue.Queue()
        self._conn = psycopg.connect(dsn, autocommit=autocommit)
        self.pid = self._conn.info.backend_pid
        self._thread = threading.Thread(target=self._serve, name=f"stepped-{name}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (step := self._work.get()) is not None:
            try:
                cur = self._conn.execute(step.sql, step.params)
                step.value = cur.fetchall() if cur.description else cur.rowcount
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                step.error = exc
            finally:
                step.finished.set()

    def step(self, sql: str, params: Any = None, timeout_s: float = STEP_TIMEOUT_S) -> Step:
        """Send `sql`; return once it has finished or is blocked by another connection's lock."""
        step = Step(self, sql, params)
        self.steps.timeline.append((self.name, _short(sql)))
        self._work.put(step)
        deadline = time.monotonic() + timeout_s
        while not step.finished.wait(BLOCK_POLL_S):
            blockers = self.steps.blockers(self.pid)
            if blockers:
                step.blocked_by = blockers
                self.steps.timeline.append((self.name, f"… waits for {', '.join(blockers)}"))
                return step
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}'s {_short(sql)!r} neither finished nor blocked in {timeout_s:g} s")
        if step.error is not None:
            self.steps.timeline.append((self.name, f"→ {type(step.error).__name__}"))
        return step

    def run(self, sql: str, params: Any = None) -> Any:
        """step() and result() in one: for statements that must not block."""
        step = self.step(sql, params)
        if step.blocked:
            raise AssertionError(f"{self.name}'s {_short(sql)!r} is blocked by {', '.join(step.blocked_by)}")
        return step.result()

    def close(self) -> None:
        self._work.put(None)
        self._thread.join(5)
        self._conn.close()


class Steps:
    """Stepped connections of one test, and an observer that tells who blocks whom."""

    def __init__(self, dsn: str, observer_dsn: str) -> None:
        self.dsn = dsn
        self._observer = psycopg.connect(observer_dsn, autocommit=True)
        self._lock = threading.Lock()
        self.connections: list[Stepper] = []
        self.timeline: list[tuple[str, str]] = []

    def connect(self, name: str, dsn: str | None = None, autocommit: bool = True) -> Stepper:
        """A new stepped connection called `name` (autocommit: send BEGIN/COMMIT yourself)."""
        stepper = Stepper(self, name, dsn or self.dsn, autocommit)
        self.connections.append(stepper)
        return stepper

    def blockers(self, pid: int) -> list[str]:
        """Names of the stepped connections (or pids of other sessions) that `pid` waits for."""
        with self._lock:
            pids = self._observer.execute("SELECT pg_blocking_pids(%s)", (pid,)).fetchone()[0]
        names = {s.pid: s.name for s in self.connections}
        return [names.get(p, f"pid {p}") for p in pids]

    def close(self) -> None:
        for stepper in self.connections:
            stepper.close()
        self._observer.close()


# --- connections opened by code under test ---------------------------------------------------------


@dataclass
class Statement:
    """One statement of an interposed connection, as a hook sees it."""

    connection: str  # "connection 1", "connection 2", … in the order they were opened
    sql: str
    phase: str  # "before" it is sent, "after" its reply
    error: BaseException | None = None
    server: str = ""  # "host:port" the connection reached (which of a primary and its replica)


StatementHook = Callable[[Statement], None]


class ConnectionCrashed(BaseException):
    """The simulated death of a process right after a statement's reply: its connection is gone.

    A BaseException, as a real crash is not an error code may catch and carry on from; the
    connection is closed, so the server rolls back whatever it had not committed.
    """


@dataclass
class Interposer:
    """Sees every statement of the connections code under test opens while it is active."""

    hooks: list[StatementHook] = field(default_factory=list)
    opened: int = 0
    statements: dict[str, int] = field(default_factory=dict)
    timeline: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        """Statements sent by all interposed connections."""
        return sum(self.statements.values())

    def watch(self, conn: psycopg.Connection, name: str | None = None) -> psycopg.Connection:
        """Interpose an existing connection (e.g. the test's `conn`)."""
        with self._lock:
            self.opened += 1
            label = name or f"connection {self.opened}"
            self.statements.setdefault(label, 0)
        conn._dojo_seen = (self, label, f"{conn.info.host}:{conn.info.port}")  # type: ignore[attr-defined]
        conn.__class__ = _interposed_connection(type(conn))
        return conn

    def _event(self, conn: Any, sql: Any, phase: str, error: BaseException | None = None) -> None:
        label = conn._dojo_seen[1]
        text = _sql_text(sql, conn)
        if phase == "before":
            with self._lock:
                self.statements[label] = self.statements.get(label, 0) + 1
                self.timeline.append((label, _short(text)))
        for hook in list(self.hooks):
            try:
                hook(Statement(label, text, phase, error, conn._dojo_seen[2]))
            except ConnectionCrashed:
                conn._dojo_crashed = True
                conn.close()  # the server rolls back what was not committed
                raise


_active: list[Interposer] = []
_patch_lock = threading.Lock()
_original_init = psycopg.Connection.__init__


def _init_and_watch(self: psycopg.Connection, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    with _patch_lock:
        interposer = _active[-1] if _active else None
    if interposer is not None:
        interposer.watch(self)


@contextmanager
def interposing(*hooks: StatementHook) -> Iterator[Interposer]:
    """Every psycopg connection created inside the block — by psycopg.connect however it was
    imported, or by a pool — passes its statements through `hooks`."""
    interposer = Interposer(list(hooks))
    with _patch_lock:
        if not _active:
            psycopg.Connection.__init__ = _init_and_watch  # type: ignore[method-assign]
        _active.append(interposer)
    try:
        yield interposer
    finally:
        with _patch_lock:
            _active.remove(interposer)
            if not _active:
                psycopg.Connection.__init__ = _original_init  # type: ignore[method-assign]


_classes: dict[type, type] = {}


def _interposed_connection(base: type) -> type:
    if getattr(base, "_dojo_interposed", False):
        return base
    if base not in _classes:

        def commit(self: Any) -> None:
            _guard(self)
            self._dojo_seen[0]._event(self, "COMMIT", "before")
            base.commit(self)
            self._dojo_seen[0]._event(self, "COMMIT", "after")

        def rollback(self: Any) -> None:
            _guard(self)
            base.rollback(self)

        def get_factory(self: Any) -> type:
            return _interposed_cursor(self.__dict__["cursor_factory"])

        def set_factory(self: Any, factory: type) -> None:  # connect(cursor_factory=…) sets it after __init__
            self.__dict__["cursor_factory"] = factory

        _classes[base] = type(
            base.__name__,
            (base,),
            {
                "_dojo_interposed": True,
                "commit": commit,
                "rollback": rollback,
                "cursor_factory": property(get_factory, set_factory),
            },
        )
    return _classes[base]


def _interposed_cursor(base: type) -> type:
    if getattr(base, "_dojo_interposed", False):
        return base
    if base not in _classes:

        def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return _through(self, query, lambda: base.execute(self, query, params, **kwargs))

        def executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
            return _through(self, query, lambda: base.executemany(self, query, params_seq, **kwargs))

        @contextmanager
        def copy(self: Any, statement: Any, params: Any = None, **kwargs: Any) -> Iterator[Any]:
            seen = self.connection._dojo_seen[0]
            _guard(self.connection)
            seen._event(self.connection, statement, "before")
            with base.copy(self, statement, params, **kwargs) as c:
                yield c
            seen._event(self.connection, statement, "after")

        _classes[base] = type(
            base.__name__,
            (base,),
            {"_dojo_interposed": True, "execute": execute, "executemany": executemany, "copy": copy},
        )
    return _classes[base]


def _guard(conn: Any) -> None:
    if getattr(conn, "_dojo_crashed", False):
        raise ConnectionCrashed("this connection's process crashed earlier: it sends nothing more")


def _through(cursor: Any, query: Any, send: Callable[[], Any]) -> Any:
    conn = cursor.connection
    _guard(conn)
    seen = conn._dojo_seen[0]
    seen._event(conn, query, "before")
    try:
        result = send()
    except Exception as exc:
        seen._event(conn, query, "after", exc)
        raise
    seen._event(conn, query, "after")
    return result


def _sql_text(query: Any, conn: Any) -> str:
    if isinstance(query, str):
        return query
    if isinstance(query, bytes):
        return query.decode(errors="replace")
    try:
        return query.as_string(conn)
    except Exception:  # noqa: BLE001 - only for display and matching
        return str(query)


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= 70 else text[:67] + "…"


# --- hooks -----------------------------------------------------------------------------------------


def starts_with(*words: str) -> Callable[[str], bool]:
    """A statement matcher: the statement's first word is one of `words` (case-insensitive)."""
    wanted = {w.upper() for w in words}
    return lambda sql: (sql.split(None, 1) or [""])[0].upper() in wanted


def crash_after(match: Callable[[str], bool], nth: int = 1) -> StatementHook:
    """The connection dies right after the server replied to its nth matching statement."""
    seen = [0]
    lock = threading.Lock()

    def hook(s: Statement) -> None:
        if s.phase != "after" or s.error is not None or not match(s.sql):
            return
        with lock:
            seen[0] += 1
            hit = seen[0] == nth
        if hit:
            raise ConnectionCrashed(f"{s.connection} crashed right after {_short(s.sql)!r}")

    return hook


def pause_after(match: Callable[[str], bool], seconds: float) -> StatementHook:
    """Sleep after each matching statement's reply: widens a read→write window."""

    def hook(s: Statement) -> None:
        if s.phase == "after" and match(s.sql):
            time.sleep(seconds)

    return hook


class StatementBarrier(IdleBarrier):
    """Hold each of `parties` connections after its first matching statement until all have run one.

    With a naive read-then-write in each of `parties` concurrent transactions, every reader has
    read before any writes: the anomaly happens every run. Correct code that makes the others
    wait (a row lock, SERIALIZABLE) never lets them all arrive: once no new connection has
    arrived for `idle_s`, the barrier opens for good, so correct code pays one short pause.
    """

    def __init__(self, parties: int, match: Callable[[str], bool], idle_s: float = 0.3) -> None:
        super().__init__(parties, idle_s)
        self._match = match

    def __call__(self, s: Statement) -> None:
        if s.phase == "after" and s.error is None and self._match(s.sql):
            self.arrive(s.connection)
