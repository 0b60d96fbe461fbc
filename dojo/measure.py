"""Evidence from the servers themselves, and fair timing comparisons when time is the point."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported lazily: a Redis-only kata never loads psycopg
    import psycopg
    import redis

# --- Redis: INFO commandstats -----------------------------------------------------------------


def redis_command_calls(r: redis.Redis) -> Counter[str]:
    """Calls per command since the server started, e.g. {"get": 12, "client|setinfo": 2}."""
    stats = r.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})


@dataclass
class CommandCounts:
    """Commands the server executed inside a `count_commands` block, lower-case names."""

    calls: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def __getitem__(self, name: str) -> int:
        return self.calls[name.lower()]

    def of(self, *names: str) -> int:
        return sum(self.calls[n.lower()] for n in names)

    def __str__(self) -> str:
        return ", ".join(f"{k}×{v}" for k, v in self.calls.most_common()) or "no commands"


@contextmanager
def count_commands(r: redis.Redis) -> Iterator[CommandCounts]:
    """Server-side command counts (INFO commandstats) for the block; commands run by scripts count.

    Exact when the server serves only this test process (embedded mode, or a URL server used
    by one run at a time).
    """
    counts = CommandCounts()
    before = redis_command_calls(r)
    yield counts
    after = redis_command_calls(r)
    diff = after - before
    diff["info"] -= 1  # the INFO that took `after`
    counts.calls.update(+diff)


@dataclass(frozen=True)
class ServerTime:
    """Microseconds a server spent executing some commands or statements, and how many ran."""

    usec: float
    calls: int

    @property
    def mean_usec(self) -> float | None:
        return self.usec / self.calls if self.calls else None

    def since(self, before: ServerTime) -> ServerTime:
        return ServerTime(self.usec - before.usec, self.calls - before.calls)


def redis_server_time(r: redis.Redis, *commands: str) -> ServerTime:
    """Server-side time of `commands` so far (INFO commandstats usec/calls; commands run by scripts count)."""
    stats = r.info("commandstats")
    rows = [stats.get(f"cmdstat_{c.lower()}", {}) for c in commands]
    return ServerTime(sum(float(s.get("usec", 0)) for s in rows), sum(int(s.get("calls", 0)) for s in rows))


class Traffic:
    """Commands sent, round trips made and reply values received by one client (see traffic_client)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.commands: list[str] = []
        self.round_trips = 0
        self.values = 0

    @property
    def data_commands(self) -> list[str]:
        """The commands without MULTI/EXEC framing."""
        return [c for c in self.commands if c not in ("MULTI", "EXEC")]


def _leaves(reply: Any) -> int:
    if isinstance(reply, (list, tuple)):
        return sum(_leaves(x) for x in reply)
    if isinstance(reply, dict):
        return sum(_leaves(k) + _leaves(v) for k, v in reply.items())
    return 1


def traffic_client(url: str) -> tuple[redis.Redis, Traffic]:
    """A redis.Redis (decode_responses=True) that counts, client side, every command, round trip and reply value.

    The counts belong to this client alone, so they stay exact when other tests share the server
    (a URL server with pytest -n 2); pipelines, transactions and scripts are all seen.
    """
    import redis

    traffic = Traffic()

    class Counting(redis.connection.Connection):
        def send_command(self, *args: Any, **kwargs: Any) -> None:
            traffic.commands.append(str(args[0]).upper())
            return super().send_command(*args, **kwargs)

        def pack_commands(self, commands: Any) -> Any:
            traffic.commands.extend(str(c[0]).upper() for c in commands)
            return super().pack_commands(commands)

        def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            traffic.round_trips += 1
            return super().send_packed_command(command, check_health)

        def read_response(self, *args: Any, **kwargs: Any) -> Any:
            reply = super().read_response(*args, **kwargs)
            traffic.values += _leaves(reply)
            return reply

    pool = redis.ConnectionPool.from_url(url, connection_class=Counting, decode_responses=True)
    client = redis.Redis(connection_pool=pool)
    client.ping()  # connect now, so the handshake is not counted
    traffic.reset()
    return client, traffic


def memory_usage(r: redis.Redis, key: str) -> int:
    """Bytes the server attributes to `key` (MEMORY USAGE, all samples)."""
    return int(r.memory_usage(key, samples=0) or 0)


# --- PostgreSQL: statements, plans --------------------------------------------------------------


def statement_calls(conn: psycopg.Connection) -> int:
    """Top-level statements executed in the current database so far (pg_stat_statements)."""
    row = conn.execute(
        "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    return int(row[0])


def postgres_server_time(conn: psycopg.Connection, query_prefix: str) -> ServerTime:
    """Executor time of this database's statements whose normalized text starts with `query_prefix`.

    From pg_stat_statements, e.g. postgres_server_time(conn, "UPDATE page_views").
    """
    row = conn.execute(
        "SELECT coalesce(sum(total_exec_time), 0) * 1000, coalesce(sum(calls), 0)::bigint FROM pg_stat_statements "
        "WHERE starts_with(query, %s) AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (query_prefix,),
    ).fetchone()
    return ServerTime(float(row[0]), int(row[1]))


@contextmanager
def count_statements(conn: psycopg.Connection) -> Iterator[list[int]]:
    """Statements the server ran in this database during the block (from any connection).

    Yields a one-element list filled in on exit: `with count_statements(c) as n: ...; n[0]`.
    The two probe queries are not counted.
    """
    result = [0]
    before = statement_calls(conn)
    yield result
    after = statement_calls(conn)
    result[0] = after - before - 1


def explain(conn: psycopg.Connection, query: str, params: Any = None, *, analyze: bool = False) -> dict:
    """The JSON plan of `query` (with buffers when analyzed); the top node is plan["Plan"]."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    row = conn.execute(f"EXPLAIN ({options}) {query}", params).fetchone()
    return row[0][0]


def plan_nodes(plan: dict) -> list[dict]:
    """Every node of a plan, depth first."""
    out, stack = [], [plan.get("Plan", plan)]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.get("Plans", [])))
    return out


def node_types(plan: dict) -> list[str]:
    return [n["Node Type"] for n in plan_nodes(plan)]


def uses_index(plan: dict, index: str | None = None) -> bool:
    """True if some node scans an index (the named one, if given)."""
    for node in plan_nodes(plan):
        if "Index" in node["Node Type"] and (index is None or node.get("Index Name") == index):
            return True
    return False


# --- Time ---------------------------------------------------------------------------------------


@dataclass
class Comparison:
    """Median seconds of two variants timed interleaved, and how many times faster `pattern` was."""

    baseline_s: float
    pattern_s: float
    repeats: int

    @property
    def ratio(self) -> float:
        return self.baseline_s / self.pattern_s if self.pattern_s > 0 else float("inf")

    def __str__(self) -> str:
        return f"{self.baseline_s * 1000:.2f} ms → {self.pattern_s * 1000:.2f} ms ({self.ratio:.1f}×, median of {self.repeats})"


def compare(baseline: Callable[[], Any], pattern: Callable[[], Any], repeats: int = 7, warmup: int = 1) -> Comparison:
    """Time `baseline` and `pattern` alternately (so load on the machine hits both) and compare medians."""
    for _ in range(warmup):
        baseline()
        pattern()
    base, pat = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        baseline()
        t1 = time.perf_counter()
        pattern()
        t2 = time.perf_counter()
        base.append(t1 - t0)
        pat.append(t2 - t1)
    return Comparison(statistics.median(base), statistics.median(pat), repeats)


# --- Recording ----------------------------------------------------------------------------------


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
