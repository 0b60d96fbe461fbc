"""Kata 15 — connection pools. Run: pytest katas/15_connection_pool  (one level: --level 2)."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import connection_pool
import psycopg
import pytest
from psycopg_pool import ConnectionPool

from dojo.race import in_background, run_concurrently

level = pytest.mark.level

WRITER_TABLES = "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); CREATE TABLE hits (pid int NOT NULL);"
READER_TABLES = (
    "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items VALUES (1, 'on the reader');"
)


@dataclass
class Databases:
    """A 'primary' for writes and a 'replica' for reads: two databases, so a misrouted statement shows."""

    write_dsn: str
    read_dsn: str
    admin: psycopg.Connection  # superuser, autocommit: the test's own observer

    def name(self, dsn: str) -> str:
        return psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]

    def sessions(self, dsn: str) -> list[tuple[int, str, str]]:
        """(pid, state, application_name) of the client sessions in `dsn`'s database, the observer aside."""
        return self.admin.execute(
            "SELECT pid, coalesce(state, ''), application_name FROM pg_stat_activity "
            "WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
            (self.name(dsn),),
        ).fetchall()

    def writer_rows(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.write_dsn, autocommit=True) as c:
            return c.execute(sql).fetchall()

    def wait_until_no_sessions(self, timeout_s: float = 5.0) -> dict[str, int]:
        """Sessions left in each database once they are gone, or when `timeout_s` has passed."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = {"writer": len(self.sessions(self.write_dsn)), "reader": len(self.sessions(self.read_dsn))}
            if not any(left.values()) or time.monotonic() > deadline:
                return left
            time.sleep(0.01)


@pytest.fixture
def dbs(pg_dsn: str, make_pg_dsn: Callable[..., str], pg_admin: psycopg.Connection) -> Databases:
    read_dsn = make_pg_dsn()
    for dsn, tables in ((pg_dsn, WRITER_TABLES), (read_dsn, READER_TABLES)):
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(tables)
    return Databases(pg_dsn, read_dsn, pg_admin)


@pytest.fixture
def make_pools(dbs: Databases) -> Iterator[Callable[..., connection_pool.Pools]]:
    """Pools(write_dsn, read_dsn, cores) on the test's two databases; all closed when the test ends."""
    made: list[connection_pool.Pools] = []

    def make(cores: int = 1, write_dsn: str | None = None, read_dsn: str | None = None) -> connection_pool.Pools:
        made.append(connection_pool.Pools(write_dsn or dbs.write_dsn, read_dsn or dbs.read_dsn, cores))
        return made[-1]

    yield make
    for pools in made:
        for pool in (getattr(pools, "writer", None), getattr(pools, "reader", None)):
            if isinstance(pool, ConnectionPool):
                pool.close()


@dataclass
class PeakSessions:
    """Samples pg_stat_activity in the background: the most sessions each database had at once."""

    dbs: Databases
    peak: dict[str, int] = field(default_factory=lambda: {"writer": 0, "reader": 0})
    samples: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        names = {self.dbs.name(self.dbs.write_dsn): "writer", self.dbs.name(self.dbs.read_dsn): "reader"}
        observer = self.dbs.admin.info.backend_pid

        def sample() -> None:
            with psycopg.connect(self.dbs.admin.info.dsn, password=self.dbs.admin.info.password, autocommit=True) as c:
                while not self._stop.is_set():
                    rows = c.execute(
                        "SELECT datname, count(*) FROM pg_stat_activity WHERE datname = ANY(%s) "
                        "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> %s GROUP BY datname",
                        (list(names), observer),
                    ).fetchall()
                    for datname, n in rows:
                        who = names[datname]
                        self.peak[who] = max(self.peak[who], n)
                    self.samples += 1

        self._worker = in_background(sample)

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._worker.result()
        return self.peak


def terminate_sessions(dbs: Databases, timeout_s: float = 5.0) -> int:
    """End every client session of both databases (as a restart or an idle timeout would); how many there were.

    Repeated until none is left: a pool may still be opening a connection when the first ones end.
    """
    ended: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while pids := [pid for dsn in (dbs.write_dsn, dbs.read_dsn) for pid, _, _ in dbs.sessions(dsn)]:
        assert time.monotonic() < deadline, f"test bug: sessions {pids} survived pg_terminate_backend"
        for pid in set(pids) - ended:
            dbs.admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            ended.add(pid)
        time.sleep(0.01)
    return len(ended)


@level(1)
class TestCore:
    def test_pool_size_is_cores_times_two_plus_spindles(self):
        cases = {(1, 1): 3, (4, 1): 9, (8, 4): 20, (2, 0): 4, (16, 2): 34}
        got = {args: connection_pool.pool_size(*args) for args in cases}
        assert got == cases, f"pool_size(cores, spindles) must be cores * 2 + spindles: got {got}"
        assert connection_pool.pool_size(4) == 9, "spindles defaults to 1"

    def test_pools_are_open_capped_at_pool_size_and_recycled(self, make_pools):
        pools = make_pools(cores=2)
        for name in ("writer", "reader"):
            pool = getattr(pools, name, None)
            assert isinstance(pool, ConnectionPool), f"pools.{name} must be a psycopg_pool.ConnectionPool, not {pool!r}"
            assert not pool.closed, f"pools.{name} must be open once Pools() returns"
            assert pool.max_size <= connection_pool.pool_size(2), (
                f"pools.{name} may grow to {pool.max_size} connections: cap it at pool_size(cores) = "
                f"{connection_pool.pool_size(2)}"
            )
            assert math.isfinite(pool.max_lifetime) and pool.max_lifetime > 0, (
                f"pools.{name} keeps connections for ever: give them a maximum lifetime, so they are replaced "
                "now and then"
            )

    def test_read_returns_the_readers_rows(self, make_pools):
        pools = make_pools()
        assert pools.read("SELECT id, name FROM items ORDER BY id") == [(1, "on the reader")], (
            "read must run on the reader pool (read_dsn) and return every row as a tuple"
        )
        assert pools.read("SELECT name FROM items WHERE id = %s", (1,)) == [("on the reader",)], (
            "read must pass params to the statement"
        )

    def test_write_returns_the_rowcount_and_commits_on_the_writer(self, make_pools, dbs):
        pools = make_pools()
        n = pools.write("INSERT INTO items VALUES (%s, %s), (%s, %s)", (1, "one", 2, "two"))
        assert n == 2, f"write must return the statement's rowcount (2 rows inserted), not {n!r}"
        assert dbs.writer_rows("SELECT id, name FROM items ORDER BY id") == [(1, "one"), (2, "two")], (
            "another connection to the writer database does not see the write: commit it before the "
            "connection goes back to the pool"
        )
        n = pools.write("UPDATE items SET name = 'uno' WHERE id = %s", (1,))
        assert n == 1, (
            f"write of an UPDATE of one row (WHERE id = %s, params (1,)) returned {n!r}: pass the params to the "
            "statement and return its rowcount, 1"
        )

    def test_stats_reports_each_pools_own_get_stats(self, make_pools):
        pools = make_pools()
        for _ in range(3):
            pools.read("SELECT 1")
        pools.write("INSERT INTO items VALUES (1, 'one')")
        first = pools.stats()
        assert set(first) == {"reader", "writer"}, f"stats() must have the keys reader and writer, not {set(first)}"
        for name in ("reader", "writer"):
            assert first[name].get("pool_max") == getattr(pools, name).max_size, (
                f"stats()[{name!r}] must be that pool's get_stats() (pool_max, pool_size, requests_num, …)"
            )
        second = pools.stats()
        assert second["reader"].get("requests_num", 0) >= 3 and second["writer"].get("requests_num", 0) >= 1, (
            "stats() must count the requests each pool served, and keep counting between calls (get_stats, "
            f"not pop_stats): got reader {second['reader'].get('requests_num')}, writer "
            f"{second['writer'].get('requests_num')}"
        )

    def test_close_closes_both_pools_and_their_server_sessions(self, make_pools, dbs):
        pools = make_pools()
        pools.read("SELECT 1")
        pools.write("INSERT INTO items VALUES (1, 'one')")
        pools.close()
        assert pools.writer.closed and pools.reader.closed, "close() must close both the writer and the reader pool"
        left = dbs.wait_until_no_sessions()
        assert left == {"writer": 0, "reader": 0}, f"after close() the servers still hold sessions: {left}"

    def test_with_pools_closes_both_at_the_end_also_after_an_error(self, dbs):
        with connection_pool.Pools(dbs.write_dsn, dbs.read_dsn, 1) as pools:
            assert isinstance(pools, connection_pool.Pools), "`with Pools(...) as pools` must give the Pools object"
            pools.read("SELECT 1")
        assert pools.writer.closed and pools.reader.closed, "leaving the `with` block must close both pools"
        with pytest.raises(ZeroDivisionError), connection_pool.Pools(dbs.write_dsn, dbs.read_dsn, 1) as failing:
            failing.write("INSERT INTO items VALUES (1, 'one')")
            raise ZeroDivisionError
        assert failing.writer.closed and failing.reader.closed, "an error inside the `with` block must close both pools"
        assert dbs.wait_until_no_sessions() == {"writer": 0, "reader": 0}, "closed pools must leave no server sessions"


@level(2)
class TestEdges:
    def test_an_error_inside_a_request_leaks_no_connection(self, make_pools, dbs):
        pools = make_pools(cores=1)
        failing = [
            ("writer", lambda: pools.write("INSERT INTO no_such_table VALUES (1)")),
            ("writer", lambda: pools.write("INSERT INTO items VALUES (%s, %s)", (1, None))),
            ("reader", lambda: pools.read("SELECT 1 / 0")),
        ]
        for _ in range(connection_pool.pool_size(1) + 1):  # more failures than the pool has connections
            for name, request in failing:
                with pytest.raises(psycopg.Error):
                    request()
                out = checked_out(getattr(pools, name))
                assert not out, (
                    f"after a failed request the {name} pool has {out} connection(s) still checked out: give the "
                    "connection back also when the statement raises (a with block, or finally)"
                )
        stuck = [(pid, state) for dsn in (dbs.write_dsn, dbs.read_dsn) for pid, state, _ in dbs.sessions(dsn)]
        stuck = [s for s in stuck if s[1] != "idle"]
        assert not stuck, f"sessions were left busy or inside a transaction after failed requests: {stuck}"
        assert pools.read("SELECT name FROM items") == [("on the reader",)], "the reader must still serve requests"
        assert pools.write("INSERT INTO items VALUES (1, 'one')") == 1, "the writer must still serve requests"
        assert dbs.writer_rows("SELECT count(*) FROM items") == [(1,)], "failed writes must leave nothing behind"

    def test_a_setting_made_by_one_request_is_not_seen_by_the_next(self, make_pools, dbs, login_role):
        tenant = login_role("app_user")  # a role without privileges, as a per-tenant role would be
        pools = make_pools(cores=1)
        pools.read(
            "SELECT set_config('application_name', 'leaky-read', false), set_config('role', %s, false)", (tenant,)
        )
        pools.write("SET application_name = 'leaky-write'")
        pools.write("SET search_path = nowhere")
        pools.write(f"SET ROLE {tenant}")
        leaked = [
            (pid, app)
            for dsn in (dbs.write_dsn, dbs.read_dsn)
            for pid, _, app in dbs.sessions(dsn)
            if app.startswith("leaky")
        ]
        assert not leaked, (
            f"pooled sessions still carry a request's settings after it ended: {leaked}; reset the session when the "
            "connection goes back to the pool"
        )
        for i in range(2 * connection_pool.pool_size(1)):  # every connection of each pool serves a request
            [(user, app)] = pools.read("SELECT current_user, current_setting('application_name')")
            assert app != "leaky-read" and user != tenant, (
                f"a later read ran as {user!r} with application_name {app!r}, set by an earlier request: reset the "
                "session when the connection goes back to the pool (RESET ALL keeps a SET ROLE; DISCARD ALL does not)"
            )
            try:
                pools.write("INSERT INTO items VALUES (%s, 'next request')", (i,))
            except psycopg.Error as exc:
                pytest.fail(
                    f"a later write failed ({type(exc).__name__}) after earlier requests ran SET search_path and SET "
                    "ROLE: session settings leaked into it"
                )

    def test_a_connection_killed_while_idle_in_the_pool_is_replaced_on_checkout(self, make_pools, dbs):
        pools = make_pools(cores=1)
        pools.read("SELECT 1")
        pools.write("INSERT INTO items VALUES (1, 'one')")
        killed = terminate_sessions(dbs)
        assert killed >= 2, "test bug: the pools kept no idle connection to kill"
        try:
            rows = pools.read("SELECT name FROM items")
            written = pools.write("INSERT INTO items VALUES (2, 'two')")
        except psycopg.OperationalError as exc:
            pytest.fail(
                f"a request got a connection that had died while idle in the pool ({str(exc).strip().splitlines()[0]}): "
                "check connections on checkout (ConnectionPool(check=ConnectionPool.check_connection))"
            )
        assert rows == [("on the reader",)] and written == 1, "after the check, requests must work as before"


def checked_out(pool: ConnectionPool, settle_s: float = 2.0) -> int:
    """Connections of `pool` lent and not given back (a pool replacing a discarded one gets `settle_s`)."""
    deadline = time.monotonic() + settle_s
    while True:
        stats = pool.get_stats()
        out = stats["pool_size"] - stats["pool_available"]
        if out <= 0 or time.monotonic() > deadline:
            return out
        time.sleep(0.01)


@level(3)
class TestConcurrency:
    def test_100_concurrent_requests_never_hold_more_than_the_pool_size(self, make_pools, dbs):
        pools = make_pools(cores=1)
        size = connection_pool.pool_size(1)
        peak = PeakSessions(dbs)
        try:

            def request(i: int) -> int | None:
                if i % 2:
                    return pools.read("SELECT pg_backend_pid() FROM pg_sleep(0.01)")[0][0]
                pools.write("INSERT INTO hits SELECT pg_backend_pid() FROM pg_sleep(0.01)")
                return None

            results = run_concurrently(request, 100, timeout_s=40)
        finally:
            most = peak.stop()
        reader_pids = {pid for pid in results if pid is not None}
        writer_pids = {pid for (pid,) in dbs.writer_rows("SELECT DISTINCT pid FROM hits")}
        assert dbs.writer_rows("SELECT count(*) FROM hits") == [(50,)], "every one of the 50 writes must be committed"
        assert len(reader_pids) <= size and len(writer_pids) <= size, (
            f"100 concurrent requests used {len(reader_pids)} reader and {len(writer_pids)} writer server sessions; "
            f"each pool must stay at pool_size(cores) = {size} and make the other requests wait"
        )
        assert most["reader"] <= size and most["writer"] <= size, (
            f"pg_stat_activity saw {most} sessions at once (at most {size} per pool allowed)"
        )

    def test_reads_and_writes_reach_their_own_pools(self, make_pools, dbs):
        pools = make_pools(cores=1)
        reads = run_concurrently(lambda i: pools.read("SELECT name FROM items WHERE id = 1"), 20)
        assert reads == [[("on the reader",)]] * 20, "reads must run on the reader pool (read_dsn)"
        after_reads = pools.stats()
        assert after_reads["writer"].get("requests_num", 0) == 0, "reads must not borrow from the writer pool"
        assert after_reads["reader"].get("requests_num", 0) >= 20, "every read must borrow from the reader pool"
        run_concurrently(lambda i: pools.write("INSERT INTO items VALUES (%s, 'w')", (i,)), 20)
        assert dbs.writer_rows("SELECT count(*) FROM items") == [(20,)], "writes must run on the writer pool"
        after_writes = pools.stats()
        assert after_writes["reader"].get("requests_num", 0) == after_reads["reader"].get("requests_num", 0), (
            "writes must not borrow from the reader pool"
        )
        assert after_writes["writer"].get("requests_num", 0) >= 20, "every write must borrow from the writer pool"

    @pytest.mark.optional("pgbouncer")
    def test_through_pgbouncer_many_client_connections_share_a_few_server_sessions(
        self, make_pools, dbs, pgbouncer_dsn
    ):
        pools = make_pools(cores=4, write_dsn=pgbouncer_dsn, read_dsn=pgbouncer_dsn)  # up to 9 + 9 client connections
        peak = PeakSessions(dbs)
        try:

            def request(i: int) -> int | None:
                if i % 2:
                    return pools.read("SELECT pg_backend_pid() FROM pg_sleep(0.005)")[0][0]
                pools.write("INSERT INTO hits SELECT pg_backend_pid() FROM pg_sleep(0.005)")
                return None

            results = run_concurrently(request, 200, timeout_s=40)
        finally:
            most = peak.stop()
        clients = pools.stats()["reader"]["pool_size"] + pools.stats()["writer"]["pool_size"]
        servers = {pid for pid in results if pid is not None} | {p for (p,) in dbs.writer_rows("SELECT pid FROM hits")}
        assert dbs.writer_rows("SELECT count(*) FROM hits") == [(100,)], "every write through PgBouncer must commit"
        assert most["writer"] <= 5 and len(servers) <= 5, (
            f"{clients} client connections through PgBouncer (5 server connections) reached {most['writer']} server "
            f"sessions at once and {len(servers)} in all"
        )


@level(4)
class TestEvidence:
    @pytest.mark.perf
    def test_a_pooled_request_is_many_times_faster_than_connect_per_request(self, make_pools, dbs, evidence):
        pools = make_pools(cores=1)
        pools.read("SELECT 1")
        query = "SELECT name FROM items WHERE id = %s"

        def connect_per_request() -> None:
            for _ in range(10):
                with psycopg.connect(dbs.read_dsn, autocommit=True) as c:
                    c.execute(query, (1,)).fetchall()

        def pooled() -> None:
            for _ in range(10):
                pools.read(query, (1,))

        result = evidence.compare(
            "10 requests: pooled vs a new connection each", connect_per_request, pooled, claim="25×", repeats=9
        )
        assert result.ratio >= 1.5, (
            f"a pooled request was only {result.ratio:.1f}× faster than a new connection per request ({result})"
        )

    @pytest.mark.perf
    def test_requests_per_second_through_20_connections(self, make_pools, dbs, evidence):
        pools = make_pools(cores=10)  # pool_size(10) = 21: 20 client threads never wait for a connection
        query = "SELECT name FROM items WHERE id = %s"

        def pooled(i: int) -> None:
            for _ in range(50):
                pools.read(query, (1,))

        def connecting(i: int) -> None:
            for _ in range(3):
                with psycopg.connect(dbs.read_dsn, autocommit=True) as c:
                    c.execute(query, (1,)).fetchall()

        rates: dict[str, float] = {"pooled": 0.0, "connecting": 0.0}
        per_thread = {"pooled": 50, "connecting": 3}
        run_concurrently(pooled, 20)  # warm the pool up to 20 connections
        for _ in range(2):  # interleaved: load on the machine hits both; best of two each
            for name, work in (("connecting", connecting), ("pooled", pooled)):
                started = time.perf_counter()
                run_concurrently(work, 20, timeout_s=40)
                rates[name] = max(rates[name], 20 * per_thread[name] / (time.perf_counter() - started))
        evidence.record(
            "requests per second, 20 threads through 20 pooled connections",
            round(rates["pooled"]),
            " req/s",
            claim="10k req/s with 20 connections",
            detail=f"{rates['connecting']:.0f} req/s when every request opens its own connection; {os.cpu_count()} "
            "cores shared by the client threads and the server",
        )
        assert rates["pooled"] >= 1.5 * rates["connecting"], (
            f"20 threads made {rates['pooled']:.0f} req/s through the pool and {rates['connecting']:.0f} req/s "
            "opening a connection each: the pool must reuse its connections"
        )
