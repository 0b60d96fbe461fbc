"""What the PostgreSQL katas stand on: seeded copies, more databases, roles, a real replica, a failover
pair, stepped and interposed connections, and exact counters."""

from __future__ import annotations

import os
import threading

import psycopg
import pytest
from psycopg import sql

from dojo.measure import count_statements, flush_stats, fresh_stats
from dojo.pg_race import ConnectionCrashed, StatementBarrier, crash_after, starts_with
from dojo.race import run_concurrently
from dojo.seeds import Seed
from dojo.services import process
from dojo.services.pg_admin import HOST, Admin, new_name
from dojo.services.pg_isolation import PostgresDatabases, suite_objects

SEEDED = []


def _seed_items(conn: psycopg.Connection) -> None:
    SEEDED.append(os.getpid())
    conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)")
    conn.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20000) g")


ITEMS = Seed("items", _seed_items)


class TestSeededDatabases:
    @pytest.mark.seed(ITEMS)
    @pytest.mark.parametrize("round", [1, 2])
    def test_each_test_gets_its_own_copy_of_tables_seeded_once(self, conn, pg_role, round):
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 20000, "a later test saw an earlier change"
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'items'").fetchone()[0]
        assert owner == pg_role, "seeded tables belong to the role code under test runs as (it may index them)"
        planned = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'items'").fetchone()[0]
        assert planned == 20000, "the seeded copy is analysed"
        conn.execute("DELETE FROM items WHERE id <= 100")
        conn.commit()
        assert SEEDED.count(os.getpid()) == 1, "the seed ran more than once in this process"

    def test_more_databases_on_demand_are_distinct_and_dropped(self, make_pg_dsn, _postgres_databases):
        shards = [make_pg_dsn() for _ in range(3)]
        names = {psycopg.conninfo.conninfo_to_dict(d)["dbname"] for d in shards}
        assert len(names) == 3
        for dsn in shards:
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute("CREATE TABLE users (id bigint PRIMARY KEY, name text, score int)")
        copy = make_pg_dsn(seed=ITEMS)
        with psycopg.connect(copy) as c:
            assert c.execute("SELECT count(*) FROM items").fetchone()[0] == 20000


class TestLeastPrivilege:
    def test_code_under_test_is_not_a_superuser_and_owns_its_database(self, conn, pg_role):
        row = conn.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert row == (pg_role, False, False, False)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()[0]
        assert owner == pg_role

    def test_server_wide_damage_is_refused(self, conn, dojo_servers):
        foreign = f"someone_else_{os.getpid()}"
        admin = Admin(dojo_servers.url("postgres"))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(foreign)))
        try:
            conn.autocommit = True
            for statement in (
                sql.SQL("DROP DATABASE {}").format(sql.Identifier(foreign)),
                sql.SQL("ALTER SYSTEM SET statement_timeout = '1ms'"),
                sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'postgres'"),
            ):
                try:
                    conn.execute(statement)
                except psycopg.errors.InsufficientPrivilege:
                    continue
                # pg_terminate_backend returns false for sessions of a superuser it may not end
                assert "pg_terminate_backend" in statement.as_string(conn)
            assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (foreign,))
            assert admin.execute("SHOW statement_timeout") == [("0",)]
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(foreign)))
            admin.close()

    def test_a_contracts_login_role_is_created_once_even_when_asked_at_once(self, login_role, conn):
        names = run_concurrently(lambda i: login_role("app_user"), 4)
        assert names == ["app_user"] * 4
        conn.execute("SET ROLE app_user")
        assert conn.execute("SELECT current_user").fetchone()[0] == "app_user"
        conn.execute("RESET ROLE")

    def test_the_harness_admin_connection_survives_being_terminated(self, dojo_servers):
        dbs = PostgresDatabases(dojo_servers.url("postgres"))
        try:
            pid = dbs.admin.execute("SELECT pg_backend_pid()")[0][0]
            with psycopg.connect(dojo_servers.url("postgres"), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (pid,))
            name = dbs.create()  # must reconnect, not fail an innocent test
            assert name
        finally:
            dbs.close()


class TestLeftovers:
    def test_leftovers_of_a_run_that_is_gone_are_removed_and_nothing_else(self, dojo_servers):
        admin = Admin(dojo_servers.url("postgres"))
        dead = _dead_pid()
        gone, live, foreign = new_name("t") + "_gone", new_name("t") + "_live", f"foreign_{os.getpid()}"
        try:
            for name, comment in (
                (gone, f"katas run {HOST}:{dead} — left by a killed run"),
                (live, f"katas run {HOST}:{os.getppid()} — a run still going"),
                (foreign, "somebody's"),
            ):
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                admin.execute(
                    sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(comment))
                )
            PostgresDatabases(dojo_servers.url("postgres")).close()  # a new run starts: it sweeps
            left = {name for _kind, name, *_ in suite_objects(admin)} | {
                r[0] for r in admin.execute("SELECT datname FROM pg_database")
            }
            assert gone not in left, "the leftovers of a run that is gone were kept"
            assert live in left and foreign in left, "a run swept what was not provably abandoned"
        finally:
            for name in (gone, live, foreign):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            admin.close()


def _dead_pid() -> int:
    pid = 4_000_000
    while process.alive(pid):
        pid += 1
    return pid


class TestReplica:
    def test_the_replica_serves_the_tests_database_once_replayed(self, primary_dsn, replica_dsn, replica):
        with psycopg.connect(primary_dsn, autocommit=True) as p:
            p.execute("CREATE TABLE t (id int)")
            p.execute("INSERT INTO t VALUES (1), (2)")
        replica.catch_up()
        with psycopg.connect(replica_dsn, autocommit=True) as r:
            assert r.execute("SELECT count(*) FROM t").fetchone()[0] == 2
            assert r.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True

    @pytest.mark.pauses_replica
    def test_paused_replay_shows_lag_until_resumed(self, primary_dsn, replica_dsn, replica):
        with psycopg.connect(primary_dsn, autocommit=True) as p:
            p.execute("CREATE TABLE t (id int)")
            replica.catch_up()
            replica.pause()
            p.execute("INSERT INTO t SELECT generate_series(1, 1000)")
            with psycopg.connect(replica_dsn, autocommit=True) as r:
                assert r.execute("SELECT count(*) FROM t").fetchone()[0] == 0
                assert replica.lag_bytes() > 0
                replica.resume()
                replica.catch_up()
                assert r.execute("SELECT count(*) FROM t").fetchone()[0] == 1000

    def test_a_failover_pair_of_its_own_can_lose_its_primary(self, failover_pair):
        with psycopg.connect(failover_pair.primary_dsn, autocommit=True) as p:
            p.execute("CREATE TABLE t (id int)")
            p.execute("INSERT INTO t VALUES (1)")
        failover_pair.stop_primary()
        with psycopg.connect(failover_pair.replica_dsn, autocommit=True) as r:
            r.execute("SELECT pg_promote(true, 30)")  # the run's own role may promote
            r.execute("INSERT INTO t VALUES (2)")
            assert r.execute("SELECT count(*) FROM t").fetchone()[0] == 2


class TestSteppedConnections:
    def test_a_blocked_statement_says_by_whom_and_finishes_when_released(self, conn, pg_steps):
        conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)")
        conn.execute("INSERT INTO accounts VALUES (1, 100)")
        conn.commit()
        a, b = pg_steps.connect("A"), pg_steps.connect("B")
        a.run("BEGIN")
        b.run("BEGIN")
        a.run("UPDATE accounts SET balance = balance - 10 WHERE id = 1")
        waiting = b.step("UPDATE accounts SET balance = balance - 20 WHERE id = 1")
        assert waiting.blocked and waiting.blocked_by == ["A"]
        a.run("COMMIT")
        assert waiting.result() == 1
        b.run("COMMIT")
        assert conn.execute("SELECT balance FROM accounts").fetchone()[0] == 70
        assert ("B", "… waits for A") in pg_steps.timeline

    def test_a_serialization_failure_is_reported_with_its_sqlstate(self, conn, pg_steps):
        conn.execute("CREATE TABLE doctors (id int PRIMARY KEY, on_call bool)")
        conn.execute("INSERT INTO doctors VALUES (1, true), (2, true)")
        conn.commit()
        a, b = pg_steps.connect("A"), pg_steps.connect("B")
        for s in (a, b):
            s.run("BEGIN ISOLATION LEVEL SERIALIZABLE")
            s.run("SELECT count(*) FROM doctors WHERE on_call")
        a.run("UPDATE doctors SET on_call = false WHERE id = 1")
        b.run("UPDATE doctors SET on_call = false WHERE id = 2")
        a.run("COMMIT")
        assert b.step("COMMIT").failed_with() == "40001"


class TestInterposedConnections:
    def test_connections_the_code_opens_are_counted_pools_included(self, pg_dsn, pg_interposer):
        from psycopg_pool import ConnectionPool

        with psycopg.connect(pg_dsn) as c:
            c.execute("SELECT 1")
            c.execute("SELECT 2")
        with ConnectionPool(pg_dsn, min_size=2, max_size=2, open=True) as pool:
            for _ in range(3):
                with pool.connection() as c:
                    c.execute("SELECT 3")
        assert pg_interposer.opened == 3
        # 2 SELECTs + the commit leaving the `with`, then 3 × (SELECT + the pool's commit on return)
        assert pg_interposer.total == 9

    def test_a_crash_right_after_a_statement_leaves_nothing_uncommitted(self, conn, pg_dsn, pg_interposer):
        conn.execute("CREATE TABLE t (id int)")
        conn.commit()
        pg_interposer.hooks.append(crash_after(starts_with("INSERT")))

        def two_steps() -> None:
            with psycopg.connect(pg_dsn) as c, c.transaction():
                c.execute("INSERT INTO t VALUES (1)")
                c.execute("INSERT INTO t VALUES (2)")

        with pytest.raises(ConnectionCrashed):
            two_steps()
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0

    def test_a_statement_barrier_lets_every_reader_read_before_anyone_writes(self, conn, pg_dsn, pg_interposer):
        conn.execute("CREATE TABLE counter (n int)")
        conn.execute("INSERT INTO counter VALUES (0)")
        conn.commit()
        barrier = StatementBarrier(5, starts_with("SELECT"))
        pg_interposer.hooks.append(barrier)

        def naive_increment(i: int) -> None:
            with psycopg.connect(pg_dsn, autocommit=True) as c:
                n = c.execute("SELECT n FROM counter").fetchone()[0]
                c.execute("UPDATE counter SET n = %s", (n + 1,))

        run_concurrently(naive_increment, 5)
        assert barrier.arrived == 5
        assert conn.execute("SELECT n FROM counter").fetchone()[0] == 1, "the lost update happens every run"


class TestCounters:
    def test_statements_are_counted_by_the_server_per_database(self, conn, pg_dsn):
        conn.execute("CREATE TABLE t (id int)")
        conn.commit()
        with count_statements(conn) as n:
            with psycopg.connect(pg_dsn, autocommit=True) as other:
                for i in range(7):
                    other.execute("INSERT INTO t VALUES (%s)", (i,))
        assert n[0] == 7

    def test_dead_tuples_are_exact_right_after_an_update(self, conn, pg_dsn):
        conn.execute("CREATE TABLE t (id int)")
        conn.execute("INSERT INTO t SELECT generate_series(1, 500)")
        conn.commit()
        with psycopg.connect(pg_dsn, autocommit=True) as writer:
            writer.execute("UPDATE t SET id = id + 1 WHERE id <= 123")
            flush_stats(writer)
        fresh_stats(conn)
        dead = conn.execute("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 't'").fetchone()[0]
        assert dead == 123


def test_two_workers_seeding_at_once_each_get_a_whole_copy(dojo_servers):
    """Seeding is per process, under names of its own: concurrent runs never share a half-built copy."""
    results = []

    def seed_and_count() -> None:
        dbs = PostgresDatabases(dojo_servers.url("postgres"))
        try:
            name = dbs.create(Seed("items-" + threading.current_thread().name, _seed_items))
            with psycopg.connect(dbs.dsn(name)) as c:
                results.append(c.execute("SELECT count(*) FROM items").fetchone()[0])
        finally:
            dbs.close()

    threads = [threading.Thread(target=seed_and_count, name=f"w{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [20000, 20000]


@pytest.mark.optional("pgbouncer")
def test_pgbouncer_pools_the_tests_connections(pgbouncer_dsn, pg_dsn, conn):
    clients = [psycopg.connect(pgbouncer_dsn, autocommit=True) for _ in range(20)]
    try:
        for c in clients:
            assert c.execute("SELECT 1").fetchone() == (1,)
        role = psycopg.conninfo.conninfo_to_dict(pg_dsn)["user"]
        servers = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = %s "
            "AND pid <> pg_backend_pid()",
            (role,),
        ).fetchone()[0]
        assert servers <= 5, f"20 clients through PgBouncer opened {servers} server connections"
    finally:
        for c in clients:
            c.close()


def test_a_standby_streams_through_a_slot_of_its_own_that_goes_with_it():
    """Without a slot a burst of writes (a seed, kata 14's tables) recycles WAL a busy standby still
    needs, and it never catches up ('requested WAL segment … has already been removed')."""
    from dojo.services.embedded_postgres import start_postgres, start_standby

    primary = start_postgres()
    try:
        standby = start_standby(primary.url)
        with psycopg.connect(primary.url, autocommit=True) as p:
            slots = p.execute("SELECT slot_name, active FROM pg_replication_slots").fetchall()
            assert len(slots) == 1 and slots[0][1], f"the standby should stream through its own slot: {slots}"
            standby.stop()
            assert p.execute("SELECT count(*) FROM pg_replication_slots").fetchone()[0] == 0, "the slot outlived it"
    finally:
        primary.stop()
