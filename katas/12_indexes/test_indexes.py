"""Kata 12 — B-tree indexes. Run: pytest katas/12_indexes  (one level: --level 2)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import indexes
import psycopg
import pytest

from dojo.harness.plans import indexes_read, node_types, nodes, plan
from dojo.measure import flush_stats
from dojo.pg_race import ConnectionCrashed, crash_after, starts_with
from dojo.race import run_concurrently
from dojo.seeds import Seed

level = pytest.mark.level

# The given table: 100,000 orders, one every 5 minutes from 2024-01-01 to mid-December. Customers
# 1-10 are big accounts that ordered in the first half of the year only (500 orders each);
# customers 11-5000 have 10 to 21 orders each, spread over the whole table; 1% of the orders are
# pending; emails are written in mixed case.
ORDERS = Seed(
    "orders-12",
    """
    CREATE TABLE orders (
        id bigint PRIMARY KEY,
        customer_id int NOT NULL,
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        total_cents int NOT NULL,
        email text NOT NULL
    );
    INSERT INTO orders
    SELECT g, c,
           CASE WHEN g % 100 = 37 THEN 'pending' WHEN g % 10 = 3 THEN 'cancelled' ELSE 'shipped' END,
           timestamptz '2024-01-01 00:00+00' + g * interval '5 minutes',
           100 + (g * 7907) % 20000,
           'Customer' || c || '@Example.com'
    FROM (SELECT g, CASE WHEN g % 10 = 0 AND g <= 50000 THEN 1 + (g / 10) % 10 ELSE 11 + (g * 7919) % 4990 END AS c
          FROM generate_series(1, 100000) g) s;
    """,
    vacuum=True,
)
pytestmark = pytest.mark.seed(ORDERS)

MARCH = datetime(2024, 3, 1, tzinfo=timezone.utc)
REGULAR, BIG = 42, 7  # a customer with 20 orders, and one with 500 (until June)

Q1 = ("SELECT * FROM orders WHERE customer_id = %s", (REGULAR,))
Q2 = (
    "SELECT * FROM orders WHERE customer_id = %s AND created_at >= %s ORDER BY created_at DESC LIMIT 20",
    (BIG, MARCH),
)
Q3 = ("SELECT id FROM orders WHERE status = 'pending' AND created_at < %s", (MARCH,))
Q4 = ("SELECT * FROM orders WHERE lower(email) = lower(%s)", (f"customer{REGULAR}@EXAMPLE.COM",))
Q5 = ("SELECT customer_id, sum(total_cents) FROM orders WHERE customer_id = %s GROUP BY 1", (REGULAR,))
QUERIES = {"Q1": Q1, "Q2": Q2, "Q3": Q3, "Q4": Q4, "Q5": Q5}

INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
WHAT_IT_NEEDS = {
    "Q1": "an index whose leading column is customer_id",
    "Q2": "an index on (customer_id, created_at)",
    "Q3": "a partial index over the pending rows (… WHERE status = 'pending')",
    "Q4": "an index on the expression lower(email): an index on email holds 'Customer42@Example.com', not what "
    "the query compares",
    "Q5": "an index leading with customer_id that also holds total_cents",
}


# --- the tests' own reading of plans and catalogs -------------------------------------------------


def orders_index_reads(explained: dict) -> list[dict]:
    """The nodes of a plan that read an index of orders."""
    return [
        n for n in nodes(explained) if n["Node Type"] in INDEX_SCANS and n.get("Relation Name", "orders") == "orders"
    ]


def shape(explained: dict) -> str:
    return " > ".join(
        n["Node Type"] + (f" on {n['Index Name']}" if "Index Name" in n else "") for n in nodes(explained)
    )


def buffers(explained: dict) -> int:
    """Shared buffers the execution touched (hit or read), children included, planning aside."""
    root = explained["Plan"]
    return root["Shared Hit Blocks"] + root["Shared Read Blocks"]


def secondary_indexes(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'orders'::regclass AND NOT indisprimary"
    ).fetchall()
    return [name for (name,) in rows]


def vacuum(pg_admin: psycopg.Connection) -> None:
    """Set the visibility map, as the contract says the tests do before Q5."""
    pg_admin.execute("SET lock_timeout = '20s'")
    try:
        pg_admin.execute("VACUUM orders")
    except psycopg.errors.LockNotAvailable:
        pytest.fail("VACUUM waited 20 s for a lock on orders: create_indexes left a transaction open", pytrace=False)


def bare_names(names: list[str]) -> set[str]:
    """Index names without a schema in front (both spellings answer the contract)."""
    return {name.rsplit(".", 1)[-1].strip('"') for name in names}


def scan(conn: psycopg.Connection, sql: str, params=()) -> None:
    """Run a query for real, so that its index scans are counted, and publish the counts now."""
    conn.execute(sql, params or None).fetchall()
    if not conn.autocommit:
        conn.commit()  # a session publishes its counters when its transaction has ended
    flush_stats(conn)


def index_oid(conn: psycopg.Connection, index: str) -> int:
    """The oid of an index named as a plan names it (unquoted, whatever its case)."""
    return conn.execute("SELECT oid FROM pg_class WHERE relname = %s AND relkind = 'i'", (index,)).fetchone()[0]


def is_partial(conn: psycopg.Connection, index: str) -> bool:
    oid = index_oid(conn, index)
    return conn.execute("SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = %s", (oid,)).fetchone()[0]


def index_size(conn: psycopg.Connection, index: str) -> int:
    return conn.execute("SELECT pg_relation_size(%s)", (index_oid(conn, index),)).fetchone()[0]


def same_index_over_every_row(conn: psycopg.Connection, partial_index: str) -> int:
    """Bytes of `partial_index` rebuilt without its WHERE clause (in a transaction rolled back)."""
    definition = conn.execute("SELECT pg_get_indexdef(%s)", (index_oid(conn, partial_index),)).fetchone()[0]
    full = re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON", "CREATE INDEX dojo_full_copy ON", definition)
    full = full.split(" WHERE ")[0]
    with conn.transaction(force_rollback=True):
        conn.execute(full)
        return conn.execute("SELECT pg_relation_size('dojo_full_copy'::regclass)").fetchone()[0]


def create_and_vacuum(conn: psycopg.Connection, pg_admin: psycopg.Connection) -> None:
    """create_indexes, then a VACUUM (the contract's promise before Q5)."""
    indexes.create_indexes(conn)
    uncommitted = set(secondary_indexes(conn)) - set(secondary_indexes(pg_admin))
    if uncommitted:
        conn.rollback()
        pytest.fail(
            f"create_indexes returned without committing {sorted(uncommitted)}: other sessions cannot use them "
            "(and the open transaction blocks VACUUM) — call conn.commit()",
            pytrace=False,
        )
    vacuum(pg_admin)


def assert_reads_an_index(conn, name: str) -> dict:
    sql, params = QUERIES[name]
    explained = plan(conn, sql, params)
    assert orders_index_reads(explained), (
        f"{name} ({sql}) reads no index of orders: {shape(explained)}. It needs {WHAT_IT_NEEDS[name]}"
    )
    return explained


@level(1)
class TestCore:
    def test_create_indexes_commits_at_most_five_indexes(self, conn, pg_dsn):
        indexes.create_indexes(conn)
        with psycopg.connect(pg_dsn) as other:
            made = secondary_indexes(other)
        assert made, "another connection sees no new index on orders: create_indexes must commit its work"
        assert len(made) <= 5, (
            f"create_indexes made {len(made)} indexes ({', '.join(made)}): at most five are allowed — every index "
            "is paid for by every INSERT; let one composite index serve several queries"
        )

    def test_q1_orders_of_a_customer_come_from_an_index(self, conn, pg_admin):
        create_and_vacuum(conn, pg_admin)
        assert_reads_an_index(conn, "Q1")

    def test_q2_latest_orders_of_a_customer_come_from_an_index_without_a_sort(self, conn, pg_admin):
        create_and_vacuum(conn, pg_admin)
        explained = assert_reads_an_index(conn, "Q2")
        sorts = [t for t in node_types(explained) if "Sort" in t]
        assert not sorts, (
            f"Q2 sorts ({shape(explained)}): an index on (customer_id, created_at) hands one customer's orders "
            "over already in date order — read backwards, it gives the newest 20 and stops"
        )

    def test_q3_old_pending_orders_come_from_a_small_partial_index(self, conn, pg_admin):
        create_and_vacuum(conn, pg_admin)
        explained = assert_reads_an_index(conn, "Q3")
        partial = [name for name in indexes_read(explained) if is_partial(conn, name)]
        assert partial, (
            f"Q3 reads {sorted(indexes_read(explained))}, none of them partial: index only the pending rows "
            "(CREATE INDEX … WHERE status = 'pending')"
        )
        name = partial[0]
        size = index_size(conn, name)
        full = same_index_over_every_row(conn, name)
        assert size * 10 < full, (
            f"the partial index {name} takes {size} bytes, the same index over every row {full}: a partial index "
            "pays off when its WHERE keeps a small fraction of the rows (here status = 'pending', 1%)"
        )

    def test_q4_a_case_insensitive_email_lookup_uses_an_expression_index(self, conn, pg_admin):
        create_and_vacuum(conn, pg_admin)
        assert_reads_an_index(conn, "Q4")
        rows = conn.execute(*Q4).fetchall()
        assert len(rows) > 1, "harness check: the customer's orders must be found whatever the case"

    def test_q5_totals_per_customer_come_from_an_index_only_scan(self, conn, pg_admin):
        create_and_vacuum(conn, pg_admin)
        explained = assert_reads_an_index(conn, "Q5")
        assert "Index Only Scan" in node_types(explained), (
            f"Q5 visits the table ({shape(explained)}): put every column it reads (customer_id, total_cents) in "
            "one index — total_cents as a second key column or INCLUDE (total_cents) — for an Index Only Scan"
        )

    def test_index_used_names_the_index_a_plan_reads(self, conn):
        conn.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
        conn.commit()
        assert indexes.index_used(conn, *Q1) == "orders_by_customer", (
            "index_used must return the name of the index the plan reads (the plan's 'Index Name')"
        )

    def test_index_used_returns_none_when_the_plan_reads_no_index(self, conn):
        assert indexes.index_used(conn, "SELECT * FROM orders WHERE total_cents = %s", (500,)) is None, (
            "no index covers total_cents, so the plan is a Seq Scan: index_used must return None"
        )

    def test_unused_indexes_lists_exactly_the_indexes_never_scanned(self, conn):
        conn.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
        conn.execute("CREATE INDEX orders_by_created ON orders (created_at)")
        conn.commit()
        assert "orders_by_customer" in indexes_read(plan(conn, *Q1)), "harness check: Q1 should read orders_by_customer"
        scan(conn, *Q1)
        found = indexes.unused_indexes(conn)
        assert bare_names(found) == {"orders_by_created"}, (
            f"unused_indexes returned {found}; only orders_by_created was never scanned (orders_by_customer "
            "served a query, orders_pkey backs the primary key, system catalogs are not the database's indexes)"
        )


@level(2)
class TestEdges:
    def test_index_used_finds_an_index_read_below_a_bitmap_heap_scan(self, conn):
        conn.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
        conn.execute("SET enable_indexscan = off")  # the index is read by a Bitmap Index Scan only
        conn.commit()
        assert "Bitmap Index Scan" in node_types(plan(conn, *Q1)), "harness check: the plan should be a bitmap scan"
        assert indexes.index_used(conn, *Q1) == "orders_by_customer", (
            "a Bitmap Heap Scan names no index; its child, the Bitmap Index Scan, does: look at every node"
        )

    def test_index_used_finds_an_index_read_deep_inside_a_subquery(self, conn):
        conn.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
        conn.commit()
        sql = "SELECT id FROM orders WHERE total_cents > (SELECT max(total_cents) FROM orders WHERE customer_id = %s)"
        explained = plan(conn, sql, (REGULAR,))
        assert nodes(explained)[0]["Node Type"] == "Seq Scan" and "orders_by_customer" in indexes_read(explained), (
            "harness check: the outer scan is sequential and only the subquery reads the index"
        )
        assert indexes.index_used(conn, sql, (REGULAR,)) == "orders_by_customer", (
            "the index is read inside the subquery (an InitPlan below the Seq Scan): walk the whole tree"
        )

    def test_index_used_sends_parameters_as_parameters(self, conn):
        conn.execute("CREATE INDEX orders_by_lower_email ON orders (lower(email))")
        conn.commit()
        hostile = "o'brien%s@example.com'); DROP TABLE orders; --"
        assert indexes.index_used(conn, "SELECT * FROM orders WHERE lower(email) = lower(%s)", (hostile,)) == (
            "orders_by_lower_email"
        ), "index_used must pass params to execute(), never format them into the SQL text"
        left = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        assert left == 100_000, (
            f"after index_used was given hostile text, orders holds {left} rows, not 100,000: the text must reach "
            "the server as a parameter value, never as SQL that runs"
        )

    def test_unused_indexes_leaves_out_primary_keys_and_unique_constraints(self, conn):
        conn.execute("ALTER TABLE orders ADD CONSTRAINT orders_email_id_key UNIQUE (email, id)")
        conn.execute("CREATE INDEX orders_by_status ON orders (status)")
        conn.commit()
        found = bare_names(indexes.unused_indexes(conn))
        assert "orders_pkey" not in found and "orders_email_id_key" not in found, (
            f"unused_indexes returned {sorted(found)}: indexes backing a primary key or a unique constraint enforce "
            "it on every write, scanned or not — never suggest dropping them"
        )
        assert found == {"orders_by_status"}, (
            f"unused_indexes returned {sorted(found)}; never scanned: orders_by_status"
        )

    def test_an_index_read_only_by_bitmap_or_index_only_scans_is_used(self, conn):
        conn.execute("CREATE INDEX orders_by_customer_total ON orders (customer_id) INCLUDE (total_cents)")
        conn.execute("CREATE INDEX orders_by_lower_email ON orders (lower(email))")
        conn.commit()
        assert "Index Only Scan" in node_types(plan(conn, *Q5)), "harness check: Q5 should be an index-only scan"
        scan(conn, *Q5)
        conn.execute("SET enable_indexscan = off")
        assert "Bitmap Index Scan" in node_types(plan(conn, *Q4)), "harness check: Q4 should be a bitmap scan"
        scan(conn, *Q4)
        found = bare_names(indexes.unused_indexes(conn))
        assert not found & {"orders_by_customer_total", "orders_by_lower_email"}, (
            f"unused_indexes returned {sorted(found)}: an Index Only Scan and a Bitmap Index Scan fetch no rows "
            "through the index (idx_tup_fetch stays 0) yet they are scans — count idx_scan"
        )

    def test_unused_indexes_looks_in_every_schema_of_the_database(self, conn):
        conn.execute("CREATE SCHEMA archive")
        conn.execute("CREATE TABLE archive.orders_2023 (id bigint PRIMARY KEY, customer_id int NOT NULL)")
        conn.execute("CREATE INDEX orders_2023_by_customer ON archive.orders_2023 (customer_id)")
        conn.execute("CREATE INDEX orders_by_status ON orders (status)")
        conn.commit()
        found = bare_names(indexes.unused_indexes(conn))
        assert found == {"orders_2023_by_customer", "orders_by_status"}, (
            f"unused_indexes returned {sorted(found)}: an index in another schema (archive) is an index of the "
            "database too, and its primary key is left out like any other"
        )


@level(3)
class TestConcurrency:
    def test_scans_made_by_other_sessions_count(self, conn, pg_dsn):
        conn.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
        conn.execute("CREATE INDEX orders_by_created ON orders (created_at)")
        conn.commit()

        def app_server(i: int) -> None:  # four application connections look customers up at once
            with psycopg.connect(pg_dsn, autocommit=True) as app:
                for customer in range(11 + 10 * i, 21 + 10 * i):
                    scan(app, Q1[0], (customer,))

        run_concurrently(app_server, 4)
        found = bare_names(indexes.unused_indexes(conn))
        assert found == {"orders_by_created"}, (
            f"unused_indexes returned {sorted(found)} after four other sessions scanned orders_by_customer 40 times: "
            "read the database-wide counters (pg_stat_user_indexes), not this transaction's own (pg_stat_xact_*)"
        )

    def test_a_second_look_in_the_same_transaction_sees_scans_made_since_the_first(self, conn, pg_dsn):
        conn.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
        conn.execute("CREATE INDEX orders_by_created ON orders (created_at)")
        conn.commit()
        first = bare_names(indexes.unused_indexes(conn))
        assert first == {"orders_by_customer", "orders_by_created"}, f"nothing was scanned yet, got {sorted(first)}"
        with psycopg.connect(pg_dsn, autocommit=True) as app:
            scan(app, *Q1)
        second = bare_names(indexes.unused_indexes(conn))  # the caller did not commit in between
        assert second == {"orders_by_created"}, (
            f"after another session scanned orders_by_customer, unused_indexes still returned {sorted(second)}: "
            "statistics read in a transaction are cached until it ends — call pg_stat_clear_snapshot() first"
        )

    def test_create_indexes_that_died_half_way_can_simply_run_again(self, conn, pg_dsn, pg_admin, pg_interposer):
        pg_interposer.watch(conn)
        pg_interposer.hooks.append(crash_after(starts_with("CREATE"), nth=2))  # dies right after its 2nd CREATE
        try:
            indexes.create_indexes(conn)
        except (ConnectionCrashed, psycopg.Error):
            pass  # the process died (whatever it tried on its dead connection afterwards)
        pg_interposer.hooks.clear()
        with psycopg.connect(pg_dsn) as again:
            try:
                indexes.create_indexes(again)  # the deploy is simply run again
            except psycopg.Error as exc:
                pytest.fail(
                    f"create_indexes died after its second CREATE and could not run again: {exc.__class__.__name__}: "
                    f"{str(exc).strip()}. Build the indexes in one transaction (all or nothing), or make each "
                    "statement safe to repeat (IF NOT EXISTS)",
                    pytrace=False,
                )
            made = secondary_indexes(again)
            assert len(made) <= 5, f"after a crash and a second run orders has {len(made)} indexes: {made}"
            vacuum(pg_admin)
            for name in QUERIES:
                assert_reads_an_index(again, name)


@level(4)
class TestEvidence:
    def test_buffers_touched_fall_at_least_tenfold_for_q1_and_q2(self, conn, pg_admin, evidence):
        before = {name: plan(conn, sql, params, analyze=True) for name, (sql, params) in QUERIES.items()}
        create_and_vacuum(conn, pg_admin)
        after = {name: plan(conn, sql, params, analyze=True) for name, (sql, params) in QUERIES.items()}
        for name in QUERIES:
            b, a = buffers(before[name]), buffers(after[name])
            evidence.record(
                f"{name}: buffers touched without → with the indexes",
                round(b / max(a, 1), 1),
                "×",
                claim="128 ms → 2 ms (64×)" if name == "Q1" else None,
                detail=f"{b} → {a} buffers; {shape(after[name])}; server time {before[name]['Execution Time']:.2f}"
                f" → {after[name]['Execution Time']:.3f} ms (EXPLAIN ANALYZE, not asserted)",
            )
        for partial in [n for n in indexes_read(after["Q3"]) if is_partial(conn, n)][:1]:
            size, full = index_size(conn, partial), same_index_over_every_row(conn, partial)
            evidence.record(
                "Q3: space the partial index saves against the same index over every row",
                round(100 * (1 - size / full), 1),
                "%",
                claim="partial indexes save 80% space",
                detail=f"{partial}: {size / 1024:.0f} KB, over every row {full / 1024:.0f} KB",
            )
        for name in ("Q1", "Q2"):
            b, a = buffers(before[name]), buffers(after[name])
            assert a * 10 <= b, (
                f"{name} touched {a} buffers with your indexes and {b} without ({shape(after[name])}); at least 10× "
                "fewer was expected: lead the index with the column compared for equality (customer_id), then the "
                "column sorted on (created_at) — an index that only matches the ORDER BY walks everybody's orders"
            )

    def test_indexes_cost_every_insert_far_less_than_they_save_a_read(self, conn, make_pg_dsn, pg_admin, evidence):
        with psycopg.connect(make_pg_dsn(seed=ORDERS)) as bare:  # the same table with its primary key only
            without = insert_cost(bare)
            q1_without = buffers(plan(bare, *Q1, analyze=True))
        create_and_vacuum(conn, pg_admin)
        count = len(secondary_indexes(conn))
        with_indexes = insert_cost(conn)
        q1_with = buffers(plan(conn, *Q1, analyze=True))
        read_gain = q1_without / max(q1_with, 1)
        write_cost = with_indexes["buffers"] / without["buffers"]
        evidence.record(
            f"buffers per INSERT, primary key only → with your {count} indexes",
            round(write_cost, 1),
            "×",
            detail=f"{without['buffers']:.1f} → {with_indexes['buffers']:.1f} buffers, WAL {without['wal_bytes']:.0f}"
            f" → {with_indexes['wal_bytes']:.0f} bytes and {without['wal_records']:.1f} → "
            f"{with_indexes['wal_records']:.1f} records per INSERT ({INSERTS} single-row INSERTs)",
        )
        evidence.record(
            "read gain of Q1 ÷ write cost of an INSERT (buffers)",
            round(read_gain / write_cost, 1),
            "",
            detail=f"Q1 reads {read_gain:.0f}× fewer buffers; each INSERT touches {write_cost:.1f}× more",
        )
        assert with_indexes["wal_records"] >= without["wal_records"] + 1, (
            "harness check: with more indexes every INSERT must also write index entries to the WAL"
        )
        assert read_gain > 3 * write_cost, (
            f"Q1 reads {read_gain:.1f}× fewer buffers while each INSERT touches {write_cost:.1f}× more: the indexes "
            "cost writes without paying for themselves in reads"
        )


INSERTS = 200


def insert_cost(conn: psycopg.Connection) -> dict[str, float]:
    """Buffers and WAL per single-row INSERT of new orders (1% pending), from EXPLAIN (ANALYZE, BUFFERS, WAL)."""
    totals = {"buffers": 0.0, "wal_bytes": 0.0, "wal_records": 0.0}
    with conn.transaction(force_rollback=True):
        for i in range(INSERTS):
            g = 200_001 + i
            row = (g, 11 + (g * 7919) % 4990, "pending" if i % 100 == 37 else "shipped", 100 + g % 20000)
            explained = conn.execute(
                "EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) INSERT INTO orders "
                "VALUES (%s, %s, %s, now(), %s, 'Customer' || %s || '@Example.com')",
                (*row, row[1]),
            ).fetchone()[0][0]
            top = explained["Plan"]
            totals["buffers"] += top["Shared Hit Blocks"] + top["Shared Read Blocks"]
            totals["wal_bytes"] += top["WAL Bytes"]
            totals["wal_records"] += top["WAL Records"]
    return {key: value / INSERTS for key, value in totals.items()}
