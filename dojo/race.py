"""Force interleavings: barrier starts, and Redis clients that pause on chosen replies.

A naive read-then-write only loses updates if another client writes between the read and
the write. These helpers make that happen every run instead of now and then.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import redis

T = TypeVar("T")
ReplyHook = Callable[[str, tuple], None]


def run_concurrently(fn: Callable[[int], T], n: int, timeout_s: float = 20.0) -> list[T]:
    """Run fn(0) … fn(n-1) in n threads released together by a barrier; return their results.

    The first exception raised in any thread is re-raised here, with its own traceback.
    Threads still running after `timeout_s` fail the test (a deadlock, or a lock never freed).
    """
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=timeout_s)
            results[i] = fn(i)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True, name=f"client-{i}") for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout_s
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    if stuck:
        raise AssertionError(
            f"{stuck} of {n} concurrent clients were still running after {timeout_s:.0f} s: something waits forever (a lock never released?)."
        )
    return results


class Background:
    """fn() running in a daemon thread: wait for it, or for an event it sets, and get its error back.

    `in_background(fn)` starts one. `result()` re-raises in the test whatever the thread raised.
    """

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True, name="background")
        self.thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self.value = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc

    def join(self, timeout_s: float) -> bool:
        """True if it finished within `timeout_s`."""
        self.thread.join(timeout_s)
        return not self.thread.is_alive()

    def reaches(self, event: threading.Event, message: str, timeout_s: float = 5.0) -> None:
        """Wait until the thread sets `event`; fail with `message` (or the thread's own error) if it never does."""
        deadline = time.monotonic() + timeout_s
        while not event.wait(0.01):
            if not self.thread.is_alive():
                self.result()
                raise AssertionError(message)
            if time.monotonic() > deadline:
                raise AssertionError(message)

    def result(self, timeout_s: float = 10.0) -> Any:
        assert self.join(timeout_s), f"a client was still running after {timeout_s:.0f} s: something waits forever"
        if self.error is not None:
            raise self.error
        return self.value


def in_background(fn: Callable[[], Any]) -> Background:
    return Background(fn)


def eventually(condition: Callable[[], T], timeout_s: float = 2.0, interval_s: float = 0.01) -> T:
    """Poll `condition()` until its value is truthy or `timeout_s` has passed; return the last value.

    For a state the server reaches on its own shortly after a call returns — a closed connection
    the server has yet to notice — where checking at once would pass or fail by the machine's
    load. Code that never reaches the state still fails, after `timeout_s`:

        assert eventually(lambda: r.pubsub_numsub("news") == [("news", 0)]), "stop() left a subscriber"
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval_s)


def pythonpath_for(module: Any) -> dict[str, str]:
    """Environment for a second process ("another app server") that imports the same implementation."""
    from .harness.impl import pythonpath_for as env

    return env(module)


class ClientCrashed(BaseException):
    """The simulated death of a client process: raised right after the reply to a chosen command.

    A BaseException, as a real crash is not an error the code may catch and carry on from; once
    raised, every later command on that client raises it again (a dead process sends nothing).
    """


class Timeline:
    """What each client did, in the order the server answered: shown under a failing concurrency
    test, so a learner sees the interleaving that broke the code, not only its outcome.

    Clients are named by their thread (`client-3` for run_concurrently's fourth); what the test's
    own thread sends (setting up, checking) is left out of the picture.
    """

    LIMIT = 5000

    def __init__(self) -> None:
        self.events: list[tuple[str, str | tuple]] = []
        self._lock = threading.Lock()

    def record(self, actor: str, what: str | tuple) -> None:
        """`what` is a step's text, or (command, args, reply), formatted only if the story is told."""
        with self._lock:
            if len(self.events) < self.LIMIT:
                self.events.append((actor, what))

    def add(self, events: Iterable[tuple[str, str]]) -> None:
        for actor, what in events:
            self.record(actor, what)

    def story(self, actors: int = 2, per_actor: int = 6) -> list[str]:
        """The steps of the first `actors` clients that took part, in order, and how much else happened."""
        involved = [e for e in self.events if e[0] != "MainThread"]
        shown: list[str] = []
        for actor, _ in involved:
            if actor not in shown:
                shown.append(actor)
        keep, others = shown[:actors], shown[actors:]
        if len(keep) < 2:
            return []
        lines, counts = [], dict.fromkeys(keep, 0)
        width = max(len(a) for a in keep)
        for actor, what in involved:
            if actor in counts and counts[actor] < per_actor:
                counts[actor] += 1
                step = _summary(*what) if isinstance(what, tuple) else what
                lines.append(f"{actor:<{width}}  {step}")
        rest = sum(1 for actor, _ in involved if actor in others)
        if others:
            lines.append(f"… and {len(others)} more client(s), {rest} more step(s)")
        return lines


HANDSHAKE = {"HELLO", "AUTH", "SELECT", "CLIENT", "PING"}  # connection set-up, not the story


def _short_value(value: Any, width: int) -> str:
    text = " ".join((value if isinstance(value, str) else repr(value)).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary(command: str, args: tuple, reply: Any) -> str:
    shown = " ".join(_short_value(a, 14) for a in args[:3]) + (" …" if len(args) > 3 else "")
    return f"{command} {shown} → {_short_value(reply, 24)}".replace("  ", " ")


class _HookedConnection(redis.connection.Connection):
    """A connection that calls `on_reply(command, args)` after each single command's reply.

    `retired` (set when the test ends) stops reconnects, so a thread that outlives its test cannot
    write into the next test's database; `crashed` is set once a hook raised ClientCrashed; `late`
    holds back chosen commands on their way to the server (see `hooked_client`).
    """

    on_reply: ReplyHook | None = None
    retired: threading.Event = threading.Event()
    crashed: threading.Event = threading.Event()
    late: dict[str, float] = {}
    timeline: Timeline | None = None

    def connect(self) -> None:
        if self.retired.is_set():
            raise redis.ConnectionError("this client belonged to a test that has ended; it may not reconnect")
        super().connect()

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        if self.crashed.is_set():
            raise ClientCrashed("this client crashed earlier: a dead process sends nothing")
        self._sent = (str(args[0]).upper(), args[1:]) if args else None
        self._hold_s = self.late.get(self._sent[0].split()[0], 0.0) if self._sent and self.late else 0.0
        super().send_command(*args, **kwargs)

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if self.crashed.is_set():
            raise ClientCrashed("this client crashed earlier: a dead process sends nothing")
        hold_s, self._hold_s = getattr(self, "_hold_s", 0.0), 0.0
        pending = getattr(self, "_in_flight", None)
        if hold_s or (pending is not None and pending.is_alive()):
            self._deliver_later(command, hold_s, pending)
            return
        super().send_packed_command(command, check_health)

    def _deliver_later(self, command: Any, hold_s: float, pending: threading.Thread | None) -> None:
        """Send `command` `hold_s` from now, after whatever is still held back; return at once."""
        if not self._sock:
            self.connect()
        send = super().send_packed_command

        def deliver() -> None:
            if pending is not None:
                pending.join()
            time.sleep(hold_s)
            try:
                send(command, False)
            except Exception:  # noqa: BLE001 - the connection was closed meanwhile: nothing to deliver to
                pass

        self._in_flight = threading.Thread(target=deliver, daemon=True, name="late-delivery")
        self._in_flight.start()

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().read_response(*args, **kwargs)
        sent, self._sent = getattr(self, "_sent", None), None
        if sent and self.timeline is not None and sent[0].split()[0] not in HANDSHAKE:
            self.timeline.record(threading.current_thread().name, (sent[0], sent[1], response))  # formatted if shown
        if sent and self.on_reply is not None:
            try:
                self.on_reply(*sent)
            except ClientCrashed:
                self.crashed.set()
                raise
        return response


def connection_class(
    on_reply: ReplyHook | None,
    retired: threading.Event | None = None,
    late: dict[str, float] | None = None,
    timeline: Timeline | None = None,
) -> type:
    """A Connection class of its own for one client: its hook, its retirement flag, its crash flag, its late commands."""
    return type(
        "HookedConnection",
        (_HookedConnection,),
        {
            "on_reply": staticmethod(on_reply) if on_reply else None,
            "retired": retired or threading.Event(),
            "crashed": threading.Event(),
            "late": {name.upper(): float(s) for name, s in (late or {}).items()},
            "timeline": timeline,
        },
    )


def hooked_client(
    url: str,
    on_reply: ReplyHook | None,
    *,
    pipelines: bool = False,
    retired: threading.Event | None = None,
    late: dict[str, float] | None = None,
    timeline: Timeline | None = None,
    **kwargs: Any,
) -> redis.Redis:
    """A redis.Redis (decode_responses=True) whose every command reply passes through `on_reply`.

    Works for plain commands, WATCH-mode pipelines and scripts. A pipeline or MULTI/EXEC block
    is sent in one go and is, rightly, not interrupted; with `pipelines=True` its queued
    commands pass through `on_reply` once all its replies are in, before the caller acts on
    them — a count read in MULTI followed by a separate write has the same gap as a plain read.

    `late={"SUBSCRIBE": 0.3}` holds each SUBSCRIBE back for 0.3 s on its way to the server (and
    what the connection sends after it, in order) while the caller goes on at once: a slow
    network, seen from the client as a confirmation that comes late. Code that waits for the
    reply waits; code that assumes the server already has the command is caught every run.
    """
    kwargs.setdefault("decode_responses", True)
    pool = redis.ConnectionPool.from_url(
        url, connection_class=connection_class(on_reply, retired, late, timeline), **kwargs
    )
    client = redis.Redis(connection_pool=pool)
    if pipelines and on_reply is not None:
        _hook_pipelines(client, on_reply)
    return client


def crash_after(command: str, nth: int = 1) -> ReplyHook:
    """A hook under which the client dies right after the server replied to its `nth` `command`.

    `make_redis(on_reply=crash_after("SET"))`: the write is done on the server, and nothing the
    code meant to do next (a second command, a `finally`) reaches it — as when a process is
    killed between two steps. The code under test sees ClientCrashed, which the test expects.
    """
    wanted = command.upper()
    seen = [0]

    def hook(name: str, args: tuple) -> None:
        if name == wanted:
            seen[0] += 1
            if seen[0] == nth:
                raise ClientCrashed(f"the client crashed right after {wanted} #{nth}")

    return hook


# Commands that may change data (Redis 8.2's `write` flag), plus scripts, functions and EXEC.
WRITES = frozenset(
    """APPEND BITFIELD BITOP BLMOVE BLMPOP BLPOP BRPOP BRPOPLPUSH BZMPOP BZPOPMAX BZPOPMIN COPY DECR DECRBY DEL
    EXPIRE EXPIREAT GEOADD GEORADIUS GEORADIUSBYMEMBER GEOSEARCHSTORE GETDEL GETEX GETSET HDEL HEXPIRE HEXPIREAT
    HGETDEL HGETEX HINCRBY HINCRBYFLOAT HMSET HPERSIST HPEXPIRE HPEXPIREAT HSET HSETEX HSETNX INCR INCRBY
    INCRBYFLOAT LINSERT LMOVE LMPOP LPOP LPUSH LPUSHX LREM LSET LTRIM MOVE MSET MSETNX PERSIST PEXPIRE PEXPIREAT
    PFADD PFMERGE PSETEX RENAME RENAMENX RESTORE RPOP RPOPLPUSH RPUSH RPUSHX SADD SDIFFSTORE SET SETBIT SETEX
    SETNX SETRANGE SINTERSTORE SMOVE SORT SPOP SREM SUNIONSTORE UNLINK XACK XACKDEL XADD XAUTOCLAIM XCLAIM XDEL
    XDELEX XGROUP XREADGROUP XSETID XTRIM ZADD ZDIFFSTORE ZINCRBY ZINTERSTORE ZMPOP ZPOPMAX ZPOPMIN ZRANGESTORE
    ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZUNIONSTORE
    EVAL EVALSHA FCALL EXEC JSON.SET JSON.DEL JSON.MERGE JSON.MSET""".split()
)


def is_write(command: str) -> bool:
    """True for a command that may change data ("XGROUP CREATE" counts as XGROUP)."""
    return command.split()[0].upper() in WRITES if command else False


class CrashAfterWrite:
    """A hook under which the client dies right after the server replied to its `nth` write.

    What counts as a write is `WRITES`: any command that may change data, a script (EVAL,
    EVALSHA, FCALL) and each write queued in a pipeline or MULTI/EXEC (with `pipelines=True`,
    after the whole block ran: a transaction is never cut in half). `fired` and `command` say
    whether and after which command the client died.
    """

    def __init__(self, nth: int) -> None:
        self.nth = nth
        self.seen = 0
        self.command: str | None = None

    @property
    def fired(self) -> bool:
        return self.command is not None

    def __call__(self, name: str, args: tuple) -> None:
        if self.fired or not is_write(name):
            return
        self.seen += 1
        if self.seen == self.nth:
            self.command = name
            raise ClientCrashed(f"the client crashed right after its write #{self.nth} ({name})")


@dataclass(frozen=True)
class CrashPoint:
    """Where a client died: right after its `k`-th write, `command`."""

    k: int
    command: str

    def __str__(self) -> str:
        return f"right after write #{self.k} ({self.command})"


def crash_points(
    make_redis: Callable[..., redis.Redis],
    run: Callable[[redis.Redis], Any],
    check: Callable[[CrashPoint], None],
    *,
    setup: Callable[[], None] | None = None,
    max_points: int = 40,
) -> list[CrashPoint]:
    """Kill the client after every write `run(client)` makes, one run per write: a crash between any two steps.

    Run 1 gets a client that dies right after its first write, run 2 one that dies after its
    second, and so on, until a run finishes before the client's death is due. After each crash,
    `check(point)` asserts that nothing the contract forbids was left behind (a key without an
    expiry, a job in no list); `setup()`, if given, resets the data before every run. Returns
    the crash points tried, so a test can also insist that there was at least one.

        def check(point):
            assert not keys_without_expiry(r), f"a client that died {point} left a key that never expires"
        crash_points(make_redis, lambda c: lock.acquire(c, "lock:report", 10_000), check)
    """
    points: list[CrashPoint] = []
    for k in range(1, max_points + 2):
        if setup is not None:
            setup()
        hook = CrashAfterWrite(k)
        client = make_redis(on_reply=hook, pipelines=True)
        try:
            with _dead_clients_say_nothing():
                run(client)
                gc.collect()  # pipelines dropped mid-crash try to UNWATCH from __del__: let them, here
        except ClientCrashed:
            pass
        finally:
            client.close()
        if not hook.fired:
            return points
        point = CrashPoint(k, hook.command or "?")
        points.append(point)
        check(point)
    raise AssertionError(f"the code made more than {max_points} writes for one call: is it looping without end?")


@contextmanager
def _dead_clients_say_nothing() -> Iterator[None]:
    """Ignore ClientCrashed raised where nobody can catch it (a `__del__` cleaning up after the crash)."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, ClientCrashed):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        gc.collect()
        sys.unraisablehook = previous


class AfterFirstUse:
    """A hook that runs `action()` once, right after the reply to the first command that names `key`.

    Whatever the code reads first — GET, GETEX, EXISTS, WATCH, a command queued in a pipeline
    (with `pipelines=True`) or a script given the key — `action` runs right after it: the moment
    between a check and the act. `acted_after` counts the commands the code sent afterwards: 0
    means the first command was also the last (an atomic script, a conditional command), so the
    code finished before `action` ran; more means it went on acting on what it had read.
    """

    def __init__(self, key: str, action: Callable[[], Any]) -> None:
        self.key = key
        self.action = action
        self.result: Any = None
        self.fired = False
        self.acted_after = 0

    def __call__(self, name: str, args: tuple) -> None:
        if self.fired:
            self.acted_after += 1
            return
        if self.key in args:
            self.fired = True
            self.result = self.action()


def _hook_pipelines(client: redis.Redis, on_reply: ReplyHook) -> None:
    make_pipeline = client.pipeline

    def pipeline(transaction: bool = True, shard_hint: Any = None) -> Any:
        pipe = make_pipeline(transaction, shard_hint)
        execute = pipe.execute

        def execute_then_hook(raise_on_error: bool = True) -> Any:
            queued = [(str(args[0]).upper(), args[1:]) for args, _ in pipe.command_stack]
            replies = execute(raise_on_error)
            try:
                for name, args in queued:
                    on_reply(name, args)
            except ClientCrashed:
                client.connection_pool.connection_class.crashed.set()
                raise
            return replies

        pipe.execute = execute_then_hook
        return pipe

    client.pipeline = pipeline


def _matches(commands: Iterable[str]) -> Callable[[str], bool]:
    wanted = {c.upper() for c in commands}
    return lambda name: name in wanted


def pause_after(commands: Iterable[str], seconds: float) -> ReplyHook:
    """Sleep after each reply to one of `commands`: widens a read→write window."""
    match = _matches(commands)

    def hook(name: str, args: tuple) -> None:
        if match(name):
            time.sleep(seconds)

    return hook


class IdleBarrier:
    """Hold each of `parties` arrivals until all have arrived — or until none has for `idle_s`,
    then stay open for good. The core of ReadBarrier (Redis) and pg_race.StatementBarrier.

    Naive code lets every party arrive (all read before any writes): the anomaly happens every
    run. Correct code makes the others wait elsewhere (a lock, an atomic command), so they never
    all arrive: the barrier opens after `idle_s` and correct code pays one short pause.
    """

    def __init__(self, parties: int, idle_s: float) -> None:
        self._parties = parties
        self._idle_s = idle_s
        self._who: set[Any] = set()
        self._last_arrival = 0.0
        self._open = False
        self._cond = threading.Condition()

    @property
    def arrived(self) -> int:
        return len(self._who)

    def arrive(self, who: Any) -> None:
        """Count `who` once (a second arrival passes at once), and wait while the barrier holds."""
        with self._cond:
            if self._open or who in self._who:
                return
            self._who.add(who)
            self._last_arrival = time.monotonic()
            if len(self._who) >= self._parties:
                self._open = True
                self._cond.notify_all()
                return
            while not self._open:
                idle = time.monotonic() - self._last_arrival
                if idle >= self._idle_s:
                    self._open = True
                    self._cond.notify_all()
                    return
                self._cond.wait(self._idle_s - idle)


class ReadBarrier(IdleBarrier):
    """Hold each of `parties` client threads at its first reply to `commands` until all have read.

    With a naive read-then-write, every client has read before any writes: the lost update
    happens every run. Correct code never lets `parties` clients read at once (a lock, an
    atomic command): once no new reader has arrived for `idle_s`, the barrier opens for good,
    so correct code pays one short pause. Arrivals are counted per thread, so a client that
    reads twice counts once.
    """

    def __init__(self, parties: int, commands: Iterable[str] = ("GET",), idle_s: float = 0.25) -> None:
        super().__init__(parties, idle_s)
        self._match = _matches(commands)

    def __call__(self, name: str, args: tuple) -> None:
        if self._match(name):
            self.arrive(threading.get_ident())


def chain(*hooks: ReplyHook) -> ReplyHook:
    """One hook that calls several in order."""

    def hook(name: str, args: tuple) -> None:
        for h in hooks:
            h(name, args)

    return hook
