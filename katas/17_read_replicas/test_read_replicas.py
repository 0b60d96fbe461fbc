"""Kata 17 — read replicas. Run: pytest katas/17_read_replicas  (one level: --level 2).

The tests run against a real primary and a real streaming replica of it. A read of
`SELECT pg_is_in_recovery()` answers True on the replica and False on the primary: that is how
the tests see where a read went, from the server itself.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import psycopg
import pytest
import read_replicas

from dojo.race import eventually, run_concurrently
from dojo.seeds import Seed

level = pytest.mark.level

# Other tests create databases on the same primary at the same time; each creation writes
# megabytes of WAL that the replica replays a moment later. Where lag is not the point, the
# router is told to tolerate any lag, so that routing alone is judged.
ANY_LAG = 1 << 40
ONE_MB = 1_000_000
SETTLE_S = 10.0  # for a router that checks the replica now and then rather than before every read

WHERE = "SELECT pg_is_in_recovery()"
LOCKING_READS = [
    "select id from notes where id = 1 for share",
    "SELECT id FROM notes WHERE id = 1 FOR NO KEY UPDATE",
    "SELECT id FROM notes WHERE id = 1 FOR KEY SHARE",
    "SELECT id FROM notes WHERE id = 1\n   For\tUpdate SKIP LOCKED",
    "SELECT n.id FROM notes n WHERE n.id = 1 FOR UPDATE OF n NOWAIT",
    "WITH mine AS (SELECT id FROM notes WHERE id = 1 FOR UPDATE) SELECT id FROM mine",
]
EVENTS = Seed(
    "events_17",
    "CREATE TABLE events (id int PRIMARY KEY, kind int NOT NULL, amount int NOT NULL);"
    "INSERT INTO events SELECT g, g % 10, g % 1000 FROM generate_series(1, 100000) g;",
    vacuum=True,
)
REPORT = "SELECT kind, count(*), sum(amount) FROM events GROUP BY kind ORDER BY kind"


def served_by(router, session=None) -> str:
    """'replica' or 'primary': the server that answered a plain read, as the server itself says."""
    rows = router.read(WHERE, session=session)
    assert rows in ([(True,)], [(False,)]), f"read({WHERE!r}) must return its rows as a list of tuples, got {rows!r}"
    return "replica" if rows[0][0] else "primary"


def big_write(conn, rows: int = 2_000) -> None:
    """About 2 MB of WAL on the primary (committed): more than the default max_lag_bytes."""
    conn.execute("CREATE TABLE IF NOT EXISTS filler (id int, pad text)")
    conn.execute("INSERT INTO filler SELECT g, repeat('x', 1000) FROM generate_series(1, %s) g", (rows,))
    conn.commit()


def wait_until_received(replica_dsn: str, conn) -> None:
    """Until the replica has *received* (not replayed) everything the primary has written so far."""
    target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    conn.commit()
    with psycopg.connect(replica_dsn, autocommit=True) as standby:
        received = eventually(
            lambda: standby.execute("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", (target,)).fetchone()[0],
            timeout_s=SETTLE_S,
        )
    assert received, "harness check: the replica did not receive the primary's WAL"


def lag_up_to_insert_position(conn, replica_dsn: str) -> int:
    """Bytes between the replica's replay position and the primary's insert position (the furthest
    a measurement of the lag taken before this call can reach)."""
    head = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
    conn.commit()
    with psycopg.connect(replica_dsn, autocommit=True) as standby:
        lag = standby.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", (head,)).fetchone()[0]
    return int(lag)


def read_or_fail(router, sql: str, params=(), session=None) -> list[tuple]:
    try:
        return router.read(sql, params, session=session)
    except psycopg.errors.ReadOnlySqlTransaction as exc:
        pytest.fail(
            f"{sql!r} reached the replica, which refused it ({exc.sqlstate}: {str(exc).strip()}): "
            "a read that locks rows must go to the primary",
            pytrace=False,
        )


@pytest.fixture
def notes(conn, replica) -> None:
    """notes(id, body) with three rows, replayed on the replica."""
    conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)")
    conn.execute("INSERT INTO notes VALUES (1, 'first'), (2, 'second'), (3, 'third')")
    conn.commit()
    replica.catch_up()


@pytest.fixture
def make_router(primary_dsn: str, replica_dsn: str, notes) -> Iterator[Callable[..., object]]:
    """make_router(max_lag_bytes=ANY_LAG, replica=replica_dsn): a Router on the test's database, closed afterwards."""
    routers = []

    def make(max_lag_bytes: int = ANY_LAG, replica: str = replica_dsn):
        routers.append(read_replicas.Router(primary_dsn, replica, max_lag_bytes=max_lag_bytes))
        return routers[-1]

    yield make
    for router in routers:
        router.close()


def backends(admin, dbname: str, *excluded: int) -> int:
    """Client connections to `dbname` on the server of `admin` (a superuser's), except `excluded` pids."""
    rows = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
        "AND pid <> pg_backend_pid() AND NOT pid = ANY(%s)",
        (dbname, list(excluded)),
    )
    return list(rows)[0][0]


def orders_on(standby) -> int:
    """Orders the replica has replayed so far (0 before it has replayed the table's creation)."""
    try:
        return standby.execute("SELECT count(*) FROM orders").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def buffers_used(conn) -> int:
    """Shared buffers that statements in this database have touched on conn's server (pg_stat_statements)."""
    row = conn.execute(
        "SELECT coalesce(sum(shared_blks_hit + shared_blks_read), 0)::bigint FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND query NOT LIKE '%pg_stat_statements%'"  # not this probe itself
    ).fetchone()
    return int(row[0])


@level(1)
class TestCore:
    def test_a_write_runs_on_the_primary_and_is_committed(self, make_router, conn):
        router = make_router()
        assert router.write("INSERT INTO notes VALUES (%s, %s)", (4, "fourth")) == 1, (
            "write must return the number of rows the statement affected (the cursor's rowcount)"
        )
        assert conn.execute("SELECT body FROM notes WHERE id = 4").fetchone() == ("fourth",), (
            "another connection does not see the written row: write must commit before it returns"
        )
        assert router.write("UPDATE notes SET body = body || '!'") == 4, "an UPDATE of 4 rows must return 4"
        assert router.counts == {"primary": 2, "replica": 0}, (
            f"two writes must count as two statements sent to the primary, got {router.counts}"
        )

    def test_plain_reads_are_served_by_the_replica(self, make_router):
        router = make_router()
        assert router.read("SELECT body FROM notes ORDER BY id") == [("first",), ("second",), ("third",)], (
            "read must return all the rows as a list of tuples"
        )
        assert served_by(router) == "replica", (
            "a plain read was answered by the primary (pg_is_in_recovery() was false): reads belong on the replica"
        )
        assert router.counts == {"primary": 0, "replica": 2}, f"two reads on the replica, but counts is {router.counts}"

    @pytest.mark.pauses_replica
    def test_a_session_reads_its_own_write_before_the_replica_replays_it(self, make_router, replica, replica_dsn, conn):
        router = make_router()
        replica.pause()  # the replica still receives WAL, but applies none of it
        mine = router.session()
        router.write("INSERT INTO notes VALUES (%s, %s)", (4, "fourth"), session=mine)
        wait_until_received(replica_dsn, conn)  # received is not replayed: only replay makes rows visible
        assert router.read("SELECT body FROM notes WHERE id = 4", session=mine) == [("fourth",)], (
            "a session did not see its own write: compare the WAL position recorded by write with the "
            "replica's pg_last_wal_replay_lsn() (not the received position), and read from the primary until it is replayed"
        )
        assert router.read("SELECT body FROM notes WHERE id = 4") == [], (
            "a read without a session went to the primary: only the session that wrote needs it; other "
            "reads stay on the replica and may see data a moment old"
        )
        assert served_by(router, router.session()) == "replica", (
            "a session that has written nothing must still read from the replica"
        )

    def test_a_locking_read_goes_to_the_primary(self, make_router):
        router = make_router()
        assert read_or_fail(router, "SELECT id FROM notes WHERE id = 1 FOR UPDATE") == [(1,)], (
            "a locking read must return its rows like any read"
        )
        assert router.counts == {"primary": 1, "replica": 0}, (
            f"SELECT … FOR UPDATE locks rows, which only the primary can do: counts is {router.counts}"
        )

    def test_counts_are_a_snapshot_of_the_callers_statements(self, make_router):
        router = make_router()
        router.write("UPDATE notes SET body = 'one' WHERE id = 1")
        router.write("DELETE FROM notes WHERE id = 3")
        read_or_fail(router, "SELECT id FROM notes WHERE id = 1 FOR SHARE")
        for _ in range(3):
            router.read("SELECT count(*) FROM notes")
        before = router.counts
        assert before == {"primary": 3, "replica": 3}, (
            "counts must be exactly the caller's statements (3 to the primary, 3 to the replica), "
            f"not the router's own housekeeping queries: got {before}"
        )
        router.read("SELECT count(*) FROM notes")
        assert before == {"primary": 3, "replica": 3}, "counts must return a fresh snapshot, not the router's live dict"
        assert router.counts == {"primary": 3, "replica": 4}, (
            f"one more read on the replica, but counts is {router.counts}"
        )

    def test_parameters_travel_as_data(self, make_router):
        router = make_router()
        hostile = "'); DROP TABLE notes; --"
        mine = router.session()
        router.write("INSERT INTO notes VALUES (%s, %s)", (5, hostile), session=mine)
        assert router.read("SELECT body FROM notes WHERE body = %s", (hostile,), session=mine) == [(hostile,)], (
            "params must be passed to psycopg as parameters, on both servers"
        )


@level(2)
class TestEdges:
    def test_every_kind_of_row_lock_goes_to_the_primary(self, make_router):
        router = make_router()
        for sql in LOCKING_READS:
            before = router.counts
            assert read_or_fail(router, sql) == [(1,)], f"{sql!r} must return its rows like any read"
            after = router.counts
            assert (after["primary"] - before["primary"], after["replica"] - before["replica"]) == (1, 0), (
                f"{sql!r} locks rows, yet it was not sent to the primary (counts went from {before} to {after}): "
                "every locking clause, in any letter case and spacing, belongs on the primary"
            )

    @pytest.mark.pauses_replica
    def test_a_session_returns_to_the_replica_once_its_write_is_replayed(self, make_router, replica):
        router = make_router()
        replica.pause()
        mine = router.session()
        router.write("INSERT INTO notes VALUES (%s, %s)", (4, "fourth"), session=mine)
        assert served_by(router, mine) == "primary", "the replica has not replayed the session's write yet"
        replica.resume()
        replica.catch_up()
        assert eventually(lambda: served_by(router, mine) == "replica", timeout_s=SETTLE_S), (
            "once the replica has replayed the session's write, the session's reads must go back to the "
            "replica: compare WAL positions, don't pin a session to the primary for good"
        )

    @pytest.mark.pauses_replica
    def test_lag_bytes_is_how_far_replay_is_behind_the_primary(self, make_router, replica, replica_dsn, conn):
        router = make_router()
        replica.pause()
        big_write(conn)
        low = replica.lag_bytes()
        assert low > ONE_MB, "harness check: the paused replica should be over 1 MB behind"
        # Paused, the lag only grows (others write too): the router's figure lies between the lag
        # measured before and the lag up to the primary's insert position measured after.
        measured = eventually(lambda: (lag := router.lag_bytes()) >= low and lag, timeout_s=SETTLE_S)
        high = lag_up_to_insert_position(conn, replica_dsn)
        assert measured and low <= measured <= high, (
            f"lag_bytes() returned {router.lag_bytes()}; the replica is {low}–{high} bytes behind: subtract its "
            "pg_last_wal_replay_lsn() from the primary's pg_current_wal_lsn() (pg_wal_lsn_diff)"
        )
        replica.resume()
        replica.catch_up()
        assert eventually(lambda: router.lag_bytes() < ONE_MB, timeout_s=SETTLE_S), (
            "after the replica caught up, lag_bytes() must fall again"
        )

    @pytest.mark.pauses_replica
    def test_a_lagging_replica_sends_plain_reads_to_the_primary(self, make_router, replica, conn):
        replica.pause()
        conn.execute("INSERT INTO notes VALUES (4, 'fourth')")
        big_write(conn)
        tolerant = make_router(max_lag_bytes=ANY_LAG)
        assert tolerant.read("SELECT body FROM notes WHERE id = 4") == [], (
            "harness check: a router that tolerates any lag should read the paused replica's stale data"
        )
        strict = make_router(max_lag_bytes=ONE_MB)
        assert eventually(
            lambda: strict.read("SELECT body FROM notes WHERE id = 4") == [("fourth",)], timeout_s=SETTLE_S
        ), (
            "the replica is more than max_lag_bytes behind, yet reads kept returning its stale data: "
            "measure the lag and read from the primary while it exceeds max_lag_bytes"
        )
        replica.resume()
        replica.catch_up()
        assert eventually(lambda: served_by(strict) == "replica", timeout_s=SETTLE_S), (
            "once the replica has caught up, plain reads must go back to it"
        )

    def test_an_unreachable_replica_sends_every_read_to_the_primary(self, make_router, replica_dsn):
        with socket.socket() as closed:  # bound, never listening: connections to it are refused
            closed.bind(("127.0.0.1", 0))
            nowhere = psycopg.conninfo.make_conninfo(replica_dsn, host="127.0.0.1", port=closed.getsockname()[1])
            try:
                router = make_router(replica=nowhere)
            except psycopg.OperationalError as exc:
                pytest.fail(f"Router() raised {exc!r}: it must start even when the replica is down", pytrace=False)
            try:
                assert router.read("SELECT body FROM notes WHERE id = 1") == [("first",)], (
                    "with the replica down, the primary must answer the read"
                )
                assert served_by(router) == "primary", "with the replica down, reads go to the primary"
            except psycopg.OperationalError as exc:
                pytest.fail(f"read raised {exc!r}: with the replica down, reads must go to the primary", pytrace=False)
            assert router.write("UPDATE notes SET body = 'one' WHERE id = 1") == 1, (
                "writes must work whatever the replica does"
            )
            assert router.counts == {"primary": 3, "replica": 0}, (
                f"every statement went to the primary: {router.counts}"
            )

    def test_a_broken_replica_connection_falls_back_then_recovers(self, make_router, replica, pg_dsn):
        router = make_router()
        assert served_by(router) == "replica", "a plain read must be answered by the replica"
        dbname = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
        # The replica ends every connection to the test's database: the router's next read meets a
        # dead connection (a router that connects for each read meets none, and that is fine too).
        replica.admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = %s AND backend_type = 'client backend'",
            (dbname,),
        )
        try:
            rows = router.read("SELECT body FROM notes WHERE id = 1")
        except psycopg.OperationalError as exc:
            pytest.fail(
                f"read raised {exc!r} after the replica dropped the router's connection: answer from the primary "
                "instead, and reconnect to the replica later",
                pytrace=False,
            )
        assert rows == [("first",)], f"the read after the broken connection returned {rows!r}"
        assert eventually(lambda: served_by(router) == "replica", timeout_s=SETTLE_S), (
            "the replica answers again, but reads never went back to it: reconnect"
        )

    def test_close_leaves_no_connection_on_either_server(
        self, primary_dsn, replica_dsn, notes, pg_admin, replica, conn
    ):
        router = read_replicas.Router(primary_dsn, replica_dsn, max_lag_bytes=ANY_LAG)
        try:
            router.write("UPDATE notes SET body = 'one' WHERE id = 1")
            read_or_fail(router, "SELECT id FROM notes WHERE id = 1 FOR UPDATE")
            router.read("SELECT count(*) FROM notes")
            dbname, mine = conn.info.dbname, conn.info.backend_pid
        finally:
            router.close()
        assert eventually(lambda: backends(pg_admin, dbname, mine) == 0 and backends(replica.admin, dbname) == 0), (
            "close() left connections open on the primary or the replica: close every connection you opened"
        )


@level(2)
class TestFailover:
    def test_failover_promotes_the_replica_and_keeps_what_it_had_replayed(self, failover_pair):
        router = read_replicas.Router(failover_pair.primary_dsn, failover_pair.replica_dsn, max_lag_bytes=ANY_LAG)
        try:
            mine = router.session()
            router.write("CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)", session=mine)
            for i in range(1, 21):
                router.write("INSERT INTO orders VALUES (%s, %s)", (i, f"item {i}"), session=mine)
            with psycopg.connect(failover_pair.replica_dsn, autocommit=True) as standby:
                replayed = eventually(lambda: orders_on(standby) == 20, timeout_s=SETTLE_S)
            assert replayed, "harness check: the replica should have replayed the 20 orders"

            failover_pair.stop_primary()
            router.failover()

            assert router.write("INSERT INTO orders VALUES (21, 'after failover')") == 1, (
                "after failover() writes must work again, on the promoted replica"
            )
            assert router.read("SELECT count(*) FROM orders", session=mine) == [(21,)], (
                "every order the replica had replayed, and the new one, must be readable after failover"
            )
            assert read_or_fail(router, "SELECT id FROM orders WHERE id = 21 FOR UPDATE") == [(21,)], (
                "after failover a locking read goes to the promoted server"
            )
            assert served_by(router) == "primary", "after failover the promoted server answers, and it is a primary"
        finally:
            router.close()
        with psycopg.connect(failover_pair.replica_dsn, autocommit=True) as promoted:
            assert promoted.execute("SELECT pg_is_in_recovery(), count(*) FROM orders").fetchone() == (False, 21), (
                "the replica must have been promoted (pg_promote) and hold all 21 orders"
            )


@level(3)
class TestConcurrency:
    @pytest.mark.pauses_replica
    def test_concurrent_sessions_see_their_own_writes_and_only_writers_use_the_primary(self, make_router, replica):
        router = make_router()
        replica.pause()
        users = 8
        everyone_wrote = threading.Barrier(users, timeout=20)

        def user(i: int) -> list[tuple]:
            mine = router.session()
            if i % 2 == 0:
                router.write("INSERT INTO notes VALUES (%s, %s)", (100 + i, f"note {i}"), session=mine)
            everyone_wrote.wait()
            return router.read(
                "SELECT max(body) FILTER (WHERE id = %s), pg_is_in_recovery() FROM notes", (100 + i,), session=mine
            )

        results = run_concurrently(user, users)
        for i, rows in enumerate(results):
            if i % 2 == 0:
                assert rows == [(f"note {i}", False)], (
                    f"writer {i} did not read its own write (got {rows}): each session tracks its own last write"
                )
            else:
                assert rows == [(None, True)], (
                    f"reader {i}, which wrote nothing, was sent to the primary (got {rows}): another session's write "
                    "must not pin this one — keep the WAL position per session, not per router"
                )

    def test_read_after_write_holds_for_concurrent_sessions_while_replay_runs(self, make_router):
        router = make_router()
        users, rounds = 4, 25

        def user(i: int) -> list[str]:
            mine, wrong = router.session(), []
            router.write("INSERT INTO notes VALUES (%s, 'v0')", (200 + i,), session=mine)
            for k in range(1, rounds + 1):
                router.write("UPDATE notes SET body = %s WHERE id = %s", (f"v{k}", 200 + i), session=mine)
                rows = router.read("SELECT body FROM notes WHERE id = %s", (200 + i,), session=mine)
                if rows != [(f"v{k}",)]:
                    wrong.append(f"wrote v{k}, read {rows}")
            return wrong

        stale = [w for ws in run_concurrently(user, users, timeout_s=60) for w in ws]
        assert not stale, f"sessions read stale data right after their own writes: {stale[:3]}"
        total = users * (1 + 2 * rounds)
        assert sum(router.counts.values()) == total, (
            f"{total} statements were sent from {users} threads, but counts adds up to {router.counts}: "
            "count under a lock, and don't count housekeeping"
        )


@level(4)
class TestEvidence:
    def test_most_plain_reads_go_to_the_replica(self, make_router, evidence):
        router = make_router()
        reads = 200
        where = [served_by(router) for _ in range(reads)]
        on_replica = where.count("replica")
        evidence.record(
            "plain reads answered by the replica",
            round(100 * on_replica / reads, 1),
            "%",
            detail=f"{on_replica} of {reads} reads of pg_is_in_recovery() answered True; counts said {router.counts}",
        )
        assert on_replica >= 0.75 * reads, f"only {on_replica} of {reads} plain reads were answered by the replica"
        assert router.counts == {"primary": reads - on_replica, "replica": on_replica}, (
            f"counts ({router.counts}) disagrees with where the servers say the reads ran"
        )

    @pytest.mark.seed(EVENTS)
    def test_the_replica_takes_the_read_work_off_the_primary(self, make_router, primary_dsn, replica_dsn, evidence):
        router = make_router()
        reads = 20
        with (
            psycopg.connect(primary_dsn, autocommit=True) as primary,
            psycopg.connect(replica_dsn, autocommit=True) as standby,
        ):
            before = buffers_used(primary)
            for _ in range(reads):
                primary.execute(REPORT).fetchall()
            alone = buffers_used(primary) - before
            before, replica_before = buffers_used(primary), buffers_used(standby)
            for _ in range(reads):
                router.read(REPORT)
            split = buffers_used(primary) - before
            moved = buffers_used(standby) - replica_before
        evidence.record(
            "read work moved off the primary (shared buffers it touched, routed vs primary-only)",
            round(100 * (1 - split / alone), 1),
            "%",
            claim="8.3× more read throughput with 3 replicas",
            detail=f"{reads} reports: primary touched {alone} buffers alone, {split} with the router; "
            f"the replica touched {moved}",
        )
        assert split <= alone / 3, (
            f"with the router the primary still touched {split} buffers for {reads} reports ({alone} alone): "
            "the reads are not moving off the primary"
        )

    @pytest.mark.seed(EVENTS)
    def test_read_throughput_split_vs_primary_only_on_one_machine(self, make_router, primary_dsn, evidence):
        router = make_router()
        batch = 5
        with psycopg.connect(primary_dsn, autocommit=True) as primary:

            def primary_only() -> None:
                for _ in range(batch):
                    primary.execute(REPORT).fetchall()

            def split() -> None:
                for _ in range(batch):
                    router.read(REPORT)

            result = evidence.compare(
                "read throughput, routed to the replica vs primary-only (one machine)",
                primary_only,
                split,
                claim="8.3× more read throughput with 3 replicas",
            )
        assert router.counts["replica"] >= batch, "harness check: the router should have read from the replica"
        # One machine: primary and replica share the same cores, so routing can only move the work, not
        # add capacity. What must hold: routing costs little next to the query itself.
        assert result.ratio >= 0.3, (
            f"reads through the router are {1 / result.ratio:.1f}× slower than on the primary alone ({result}): "
            "the router's own checks cost more than the query"
        )
