"""Kata 14 — reading query plans. Run: pytest katas/14_explain  (one level: --level 2)."""

from __future__ import annotations

import statistics

import explain
import psycopg
import pytest

from dojo.harness.plans import plan
from dojo.seeds import Seed

level = pytest.mark.level

# A small shop: 5,000 customers, 100,000 orders (about 20 per customer, spread over the table) with
# 3 lines each. Primary keys only: orders.customer_id has no index. parallel_workers = 0 keeps
# every plan serial, so the plans the tests build are the same on every machine.
SHOP = Seed(
    "shop-14",
    """
    CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, country text NOT NULL)
        WITH (parallel_workers = 0);
    INSERT INTO customers
    SELECT g, 'Customer ' || g, (ARRAY['NL', 'DE', 'FR', 'US', 'JP'])[1 + g % 5] FROM generate_series(1, 5000) g;
    CREATE TABLE orders (
        id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
        created_at timestamptz NOT NULL, total_cents int NOT NULL
    ) WITH (parallel_workers = 0);
    INSERT INTO orders
    SELECT g, 1 + (g * 7919) % 5000, CASE WHEN g % 100 = 37 THEN 'pending' ELSE 'shipped' END,
           timestamptz '2024-01-01 00:00+00' + g * interval '5 minutes', 100 + (g * 7907) % 20000
    FROM generate_series(1, 100000) g;
    CREATE TABLE order_lines (
        order_id bigint NOT NULL, line_no int NOT NULL, sku text NOT NULL, quantity int NOT NULL,
        PRIMARY KEY (order_id, line_no)
    ) WITH (parallel_workers = 0);
    INSERT INTO order_lines
    SELECT o, l, 'SKU-' || lpad(((o * 31 + l * 17) % 5000)::text, 5, '0'), 1 + (o + l) % 4
    FROM generate_series(1, 100000) o, generate_series(1, 3) l;
    """,
    vacuum=True,
)
pytestmark = pytest.mark.seed(SHOP)

# A customer's page: their ten latest orders, with their name. Without an index on
# orders.customer_id the whole orders table is read to find 20 rows.
CUSTOMER_PAGE = """
SELECT c.name, o.id, o.created_at, o.total_cents
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.customer_id = %s
ORDER BY o.created_at DESC LIMIT 10
"""

# Ten customers' order lines, joined by nested loops only: the inner sides run once per outer row.
LINES_OF_TEN_CUSTOMERS = """
SELECT c.name, l.sku
FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN customers c ON c.id = o.customer_id
WHERE o.customer_id <= 10
"""


# --- the tests' own oracle: how a plan is read ----------------------------------------------------


def analyzed(conn: psycopg.Connection, sql: str, params=None) -> dict:
    """The root node of the test's own EXPLAIN (ANALYZE, BUFFERS), so that each function is judged alone."""
    return plan(conn, sql, params, analyze=True)["Plan"]


def children(node: dict) -> list[dict]:
    return node.get("Plans", [])


def subtree(node: dict) -> list[dict]:
    """`node` and its descendants, depth first (the oracle kata 14 asks you to write as `walk`)."""
    return [node] + [n for child in children(node) for n in subtree(child)]


def true_self_ms(node: dict) -> float:
    total = node["Actual Total Time"] * node["Actual Loops"]
    return total - sum(c["Actual Total Time"] * c["Actual Loops"] for c in children(node))


def find(root: dict, node_type: str, relation: str | None = None) -> dict:
    found = [n for n in subtree(root) if n["Node Type"] == node_type and relation in (None, n.get("Relation Name"))]
    assert found, f"harness check: the plan has no {node_type}{' on ' + relation if relation else ''}: {shape(root)}"
    return found[0]


def shape(root: dict) -> str:
    def one(n: dict) -> str:
        inner = ", ".join(one(c) for c in children(n))
        return (
            n["Node Type"]
            + (f" on {n['Relation Name']}" if "Relation Name" in n else "")
            + (f"({inner})" if inner else "")
        )

    return one(root)


def position(nodes: list[dict], node: dict) -> int:
    hits = [i for i, n in enumerate(nodes) if n is node] or [i for i, n in enumerate(nodes) if n == node]
    assert hits, f"walk left out a {node['Node Type']} node"
    return hits[0]


def assert_depth_first(nodes: list[dict], root: dict) -> None:
    """Every node of `root` once, each subtree in one piece with its root at one end (pre- or post-order)."""
    expected = subtree(root)
    assert len(nodes) == len(expected), f"walk returned {len(nodes)} nodes; the plan has {len(expected)}"
    pre = nodes[0] is root or nodes[0] == root
    assert pre or nodes[-1] is root or nodes[-1] == root, "walk must start (or end) with the node it was given"
    for n in expected:
        spots = sorted(position(nodes, m) for m in subtree(n))
        at = position(nodes, n)
        assert spots == list(range(spots[0], spots[0] + len(spots))), (
            f"walk split the subtree of a {n['Node Type']} node: depth first means a node's descendants all come "
            "before the next sibling (a breadth-first order visits the tree level by level)"
        )
        assert at == (spots[0] if pre else spots[-1]), "walk must keep each node next to its own subtree"


def node(kind: str, total_ms: float, *kids: dict, loops: int = 1, rows: float = 1, plan_rows: float = 1, **extra):
    """A plan node in PostgreSQL's JSON shape, for arithmetic a real plan cannot pin down."""
    made = {
        "Node Type": kind,
        "Plan Rows": plan_rows,
        "Actual Total Time": total_ms,
        "Actual Rows": rows,
        "Actual Loops": loops,
        **extra,
    }
    if kids:
        made["Plans"] = list(kids)
    return made


def setting(conn: psycopg.Connection, **gucs: str) -> None:
    """SET planner settings for the session (committed, so no rollback takes them back)."""
    for name, value in gucs.items():
        conn.execute(f"SET {name} = '{value}'")
    conn.commit()


def forced_nested_loops(conn: psycopg.Connection) -> None:
    setting(conn, enable_hashjoin="off", enable_mergejoin="off", enable_memoize="off")


def unanalysed_events(conn: psycopg.Connection) -> None:
    """50,000 events, 99% clicks, never analysed (and kept away from autovacuum)."""
    conn.execute(
        "CREATE TABLE events (id int, kind text NOT NULL, payload text) "
        "WITH (autovacuum_enabled = false, parallel_workers = 0)"
    )
    conn.execute(
        "INSERT INTO events SELECT g, CASE WHEN g % 100 = 0 THEN 'purchase' ELSE 'click' END, 'event ' || g "
        "FROM generate_series(1, 50000) g"
    )
    conn.commit()


def orders_count(dsn: str) -> int:
    with psycopg.connect(dsn) as other:
        return other.execute("SELECT count(*) FROM orders").fetchone()[0]


@level(1)
class TestCore:
    def test_explain_returns_the_analyzed_root_node(self, conn):
        root = explain.explain(conn, CUSTOMER_PAGE, (42,))
        assert isinstance(root, dict) and "Node Type" in root, (
            "explain must return the root plan node itself: row[0][0]['Plan'] of EXPLAIN (FORMAT JSON), not the "
            f"list or the wrapper around it; got {str(root)[:120]}"
        )
        assert root["Node Type"] == "Limit", f"the root of this query's plan is its LIMIT, got {root['Node Type']}"
        assert "Actual Rows" in root and "Shared Hit Blocks" in root, (
            "the node has no actual rows or buffer counts: run EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)"
        )
        assert root["Actual Rows"] == 10, f"the query returns 10 rows; the root says {root['Actual Rows']}"

    def test_walk_visits_every_node_depth_first(self, conn):
        forced_nested_loops(conn)
        root = analyzed(conn, LINES_OF_TEN_CUSTOMERS)
        assert shape(root).count("Nested Loop") == 2, f"harness check: two nested loops expected, {shape(root)}"
        assert_depth_first(explain.walk(root), root)

    def test_seq_scans_names_every_relation_read_sequentially(self, conn):
        root = analyzed(
            conn, "SELECT c.country, count(*) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY 1"
        )
        assert sorted(set(explain.seq_scans(root))) == ["customers", "orders"], (
            f"both tables are read by a Seq Scan ({shape(root)}); seq_scans returned {explain.seq_scans(root)}"
        )

    def test_actual_rows_counts_every_loop_of_a_forced_nested_loop(self, conn):
        forced_nested_loops(conn)
        root = analyzed(conn, LINES_OF_TEN_CUSTOMERS)
        inner = find(root, "Index Scan", "order_lines")
        truth = conn.execute(f"SELECT count(*) FROM ({LINES_OF_TEN_CUSTOMERS}) q").fetchone()[0]
        assert inner["Actual Loops"] > 100, "harness check: the inner side should run once per order"
        assert explain.actual_rows(inner) == truth, (
            f"the inner Index Scan ran {inner['Actual Loops']} times, {inner['Actual Rows']} rows each: "
            f"{truth} rows in all, actual_rows said {explain.actual_rows(inner)} (multiply by Actual Loops)"
        )
        got = explain.actual_rows(root)
        assert got == truth, (
            f"the root {root['Node Type']} runs once and yields all {truth} rows of the query; actual_rows said {got} "
            "(Actual Rows × Actual Loops holds for every node, one loop included)"
        )

    def test_self_time_leaves_out_the_time_of_the_children(self, conn):
        tree = node("Sort", 30.0, node("Seq Scan", 26.5))
        assert explain.self_time_ms(tree) == pytest.approx(3.5), (
            "a Sort taking 30 ms over a 26.5 ms scan spends 3.5 ms itself: subtract the children's time"
        )
        forced_nested_loops(conn)
        root = analyzed(conn, LINES_OF_TEN_CUSTOMERS)
        for n in subtree(root):
            truth = true_self_ms(n)
            got = explain.self_time_ms(n)
            assert got == pytest.approx(truth, abs=0.01) or (truth < 0 and got == 0), (
                f"the {n['Node Type']} node's own time is {truth:.3f} ms (its per-loop time × loops, minus each "
                f"child's per-loop time × loops); self_time_ms said {got}"
            )

    def test_slowest_node_is_the_node_with_the_most_time_of_its_own(self, conn):
        scan = node("Seq Scan", 45.0, **{"Relation Name": "orders"})
        tree = node("Limit", 50.0, node("Sort", 49.9, scan))
        assert explain.slowest_node(tree) is scan or explain.slowest_node(tree) == scan, (
            "the Limit's 50 ms include the Sort's, which include the scan's 45: the slowest node is the one with "
            "the largest self time, not the largest total"
        )
        root = analyzed(conn, CUSTOMER_PAGE, (42,))
        truth = max(subtree(root), key=true_self_ms)
        assert explain.slowest_node(root) == truth, (
            f"in {shape(root)} the {truth['Node Type']} spends {true_self_ms(truth):.2f} ms itself, more than any other "
            f"node; slowest_node picked a {explain.slowest_node(root)['Node Type']}"
        )

    def test_misestimates_finds_the_scan_of_a_table_never_analysed(self, conn):
        unanalysed_events(conn)
        root = analyzed(conn, "SELECT * FROM events WHERE kind = %s", ("click",))
        assert root["Plan Rows"] * 10 < root["Actual Rows"], "harness check: without statistics the planner guesses"
        found = explain.misestimates(root)
        assert found and found[0]["Node Type"] == "Seq Scan", (
            f"the planner expected {root['Plan Rows']} clicks and found {root['Actual Rows']}: misestimates must "
            "return that Seq Scan (rows off by more than 10×)"
        )
        conn.execute("ANALYZE events")
        conn.commit()
        assert explain.misestimates(analyzed(conn, "SELECT * FROM events WHERE kind = %s", ("click",))) == [], (
            "after ANALYZE the estimate is right: misestimates must return []"
        )

    def test_spills_to_disk_sees_a_sort_that_outgrew_work_mem(self, conn):
        sql = "SELECT id, total_cents FROM orders WHERE id <= 20000 ORDER BY total_cents"
        setting(conn, work_mem="64kB")
        spilled = analyzed(conn, sql)
        assert find(spilled, "Sort").get("Sort Space Type") == "Disk", "harness check: the sort should spill"
        assert explain.spills_to_disk(spilled) is True, (
            "with work_mem = 64kB the sort of 20,000 rows ran as an external merge on disk ('Sort Space Type': "
            "'Disk'): spills_to_disk must say True"
        )
        setting(conn, work_mem="64MB")
        assert explain.spills_to_disk(analyzed(conn, sql)) is False, (
            "with work_mem = 64MB the same sort fits in memory: spills_to_disk must say False"
        )

    def test_explaining_a_delete_changes_nothing(self, conn, pg_dsn):
        root = explain.explain(conn, "DELETE FROM orders WHERE customer_id = %s", (42,))
        assert explain.actual_rows(root["Plans"][0]) == 20, "harness check: the DELETE really ran, on 20 rows"
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 100_000, (
            "after explain, this connection sees the deleted rows gone: EXPLAIN ANALYZE runs the statement, so "
            "run it inside a transaction that is rolled back"
        )
        conn.rollback()
        assert orders_count(pg_dsn) == 100_000, "explain committed a DELETE: roll it back"


@level(2)
class TestEdges:
    def test_walk_includes_sub_plans_and_a_leaf_is_its_own_walk(self, conn):
        root = analyzed(
            conn, "SELECT id FROM orders WHERE total_cents > (SELECT avg(total_cents) FROM orders WHERE id <= 100)"
        )
        assert any(n.get("Parent Relationship") == "InitPlan" for n in subtree(root)), "harness check: an InitPlan"
        assert_depth_first(explain.walk(root), root)
        leaf = subtree(root)[-1]
        assert explain.walk(leaf) == [leaf], "a leaf has no 'Plans': its walk is just itself"

    def test_seq_scans_gives_relation_names_not_aliases_and_skips_index_scans(self, conn):
        root = analyzed(conn, CUSTOMER_PAGE, (42,))
        find(root, "Index Scan", "customers")
        assert explain.seq_scans(root) == ["orders"], (
            f"in {shape(root)} only orders (aliased o) is read sequentially; customers comes from an Index Scan. "
            f"seq_scans returned {explain.seq_scans(root)}: give 'Relation Name', not 'Alias'"
        )
        assert explain.seq_scans(analyzed(conn, "SELECT * FROM orders WHERE id = 7")) == [], (
            "a primary key lookup reads no table sequentially: seq_scans must return []"
        )

    def test_actual_rows_rounds_fractional_rows_per_loop(self):
        # PostgreSQL 18 reports per-loop rows with two decimals: 1 row over 3 loops is 0.33 per loop.
        assert explain.actual_rows(node("Index Scan", 0.01, rows=0.33, loops=3)) == 1, (
            "0.33 rows per loop × 3 loops is 1 row: round the product, don't truncate it"
        )
        got = explain.actual_rows(node("Index Scan", 0.01, rows=2.5, loops=200))
        assert got == 500, (
            f"2.5 rows per loop × 200 loops is 500 rows, actual_rows said {got}: multiply first and round the "
            "product, never round the per-loop rows before multiplying"
        )
        assert explain.actual_rows(node("Seq Scan", 0.0, rows=0, loops=0)) == 0, "a node never executed produced 0"

    def test_self_time_multiplies_each_childs_time_by_its_loops(self):
        inner = node("Index Scan", 0.01, loops=1000)
        outer = node("Seq Scan", 1.0)
        tree = node("Nested Loop", 12.0, outer, inner)
        assert explain.self_time_ms(tree) == pytest.approx(1.0), (
            "the inner Index Scan took 0.01 ms per loop over 1000 loops = 10 ms; with the outer scan's 1 ms, the "
            "Nested Loop's own time is 12 − 11 = 1 ms"
        )
        assert explain.self_time_ms(inner) == pytest.approx(10.0), "0.01 ms per loop × 1000 loops = 10 ms"
        assert explain.slowest_node(tree) == inner, "the node run 1000 times is the slowest here"

    def test_misestimates_looks_both_ways_and_counts_zero_as_one(self):
        low = node("Seq Scan", 1.0, rows=5000, plan_rows=100)  # 50× more than planned
        high = node("Index Scan", 1.0, rows=2, plan_rows=300)  # 150× fewer
        empty = node("Seq Scan", 1.0, rows=0, plan_rows=11)  # 0 counts as 1: 11×
        exact_10 = node("Seq Scan", 1.0, rows=0, plan_rows=10)  # 10×: not more than the factor
        fine = node("Seq Scan", 1.0, rows=480, plan_rows=500)
        tree = node("Append", 5.0, low, high, empty, exact_10, fine, rows=5482, plan_rows=921)
        found = explain.misestimates(tree)
        assert low in found and high in found, "a factor of 10 either way is a misestimate: too few and too many rows"
        assert empty in found, "0 actual rows against 11 planned is off by 11× (zero counts as one)"
        assert exact_10 not in found and fine not in found, (
            "only nodes off by *more* than the factor are misestimates (10× is not more than 10)"
        )
        assert explain.misestimates(tree, factor=1.01) != found and fine in explain.misestimates(tree, factor=1.01), (
            "misestimates must use the factor it is given"
        )

    def test_a_nested_loops_inner_side_estimated_right_per_loop_is_no_misestimate(self, conn):
        forced_nested_loops(conn)
        root = analyzed(conn, LINES_OF_TEN_CUSTOMERS)
        inner = find(root, "Index Scan", "order_lines")
        assert inner["Plan Rows"] == 3 and inner["Actual Loops"] > 100, "harness check: 3 rows planned per loop"
        assert inner not in explain.misestimates(root), (
            f"the inner scan was planned at {inner['Plan Rows']} rows per loop and gave {inner['Actual Rows']} per loop "
            f"over {inner['Actual Loops']} loops: compare totals with totals (Plan Rows × loops against actual rows)"
        )

    def test_spills_to_disk_sees_hash_joins_and_hash_aggregates_that_outgrew_work_mem(self, conn):
        join = "SELECT count(*) FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.id <= 20000"
        group = "SELECT customer_id, count(*) FROM orders GROUP BY customer_id"
        setting(conn, work_mem="64kB", enable_mergejoin="off", enable_nestloop="off", enable_sort="off")
        hashed = analyzed(conn, join)
        assert find(hashed, "Hash")["Hash Batches"] > 1, "harness check: the hash table should be split in batches"
        assert explain.spills_to_disk(hashed) is True, (
            "the hash join's table did not fit in 64kB and was split into batches on disk ('Hash Batches' > 1)"
        )
        aggregated = analyzed(conn, group)
        assert find(aggregated, "Aggregate").get("Disk Usage", 0) > 0, "harness check: the aggregate should spill"
        assert explain.spills_to_disk(aggregated) is True, (
            "the hash aggregate of 5,000 groups did not fit in 64kB and spilled ('Disk Usage' > 0)"
        )
        setting(conn, work_mem="64MB")
        assert explain.spills_to_disk(analyzed(conn, join)) is False, (
            "with work_mem = 64MB the hash join's table fits in memory ('Hash Batches': 1): spills_to_disk must say "
            "False — every Hash node reports its batches, only more than one means disk"
        )
        assert explain.spills_to_disk(analyzed(conn, group)) is False, (
            "with work_mem = 64MB the hash fits in memory: spills_to_disk must say False"
        )

    def test_a_delete_hidden_in_a_select_changes_nothing(self, conn, pg_dsn):
        root = explain.explain(
            conn,
            "WITH gone AS (DELETE FROM orders WHERE customer_id = %s RETURNING id) SELECT count(*) FROM gone",
            (42,),
        )
        assert root["Actual Rows"] == 1, (
            "explain of a SELECT whose WITH clause deletes must still run EXPLAIN ANALYZE and return the root, the "
            f"count(*) that yields 1 row; got a {root.get('Node Type')} with {root.get('Actual Rows')} rows"
        )
        conn.rollback()
        assert orders_count(pg_dsn) == 100_000, (
            "a SELECT whose WITH clause deletes rows is a data-changing statement too: always roll back, whatever "
            "the statement's first word"
        )

    def test_explain_on_an_autocommit_connection_changes_nothing(self, conn, pg_dsn):
        conn.autocommit = True
        explain.explain(conn, "UPDATE orders SET total_cents = 0 WHERE customer_id = %s", (42,))
        changed = conn.execute("SELECT count(*) FROM orders WHERE total_cents = 0").fetchone()[0]
        assert changed == 0, (
            f"explain left {changed} orders updated on an autocommit connection: every statement commits there "
            "unless you open a transaction yourself (conn.transaction())"
        )

    def test_explain_keeps_the_callers_uncommitted_work(self, conn, pg_dsn):
        conn.execute("INSERT INTO customers VALUES (9001, 'New customer', 'NL')")  # not committed yet
        explain.explain(conn, "DELETE FROM orders WHERE customer_id = %s", (42,))
        conn.commit()
        with psycopg.connect(pg_dsn) as other:
            kept = other.execute("SELECT count(*) FROM customers WHERE id = 9001").fetchone()[0]
        assert kept == 1, (
            "the caller's own INSERT, made before explain, was lost: roll back only what explain ran (a savepoint: "
            "conn.transaction() inside the caller's transaction), not the caller's transaction"
        )
        left = orders_count(pg_dsn)
        assert left == 100_000, (
            f"the caller's commit also committed the DELETE explain ran: {left} orders are left, not 100,000 — "
            "explain must roll back its own statement (to its savepoint) before returning"
        )

    def test_explain_sends_parameters_as_parameters(self, conn):
        hostile = "Customer 1'; DROP TABLE orders; --"
        root = explain.explain(conn, "SELECT * FROM customers WHERE name = %s", (hostile,))
        assert root["Actual Rows"] == 0, (
            f"no customer is named {hostile!r}, yet the plan's root yields {root['Actual Rows']} rows: the whole "
            "text must reach the server as one parameter value"
        )
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 100_000, (
            "explain must pass params to execute(), never format them into the SQL text"
        )


@level(3)
class TestConcurrency:
    def test_explaining_an_update_leaves_no_row_lock_behind(self, conn, pg_steps):
        conn.execute("SELECT 1")  # the caller is inside a transaction of its own
        explain.explain(conn, "UPDATE orders SET total_cents = 0 WHERE id = %s", (1,))
        other = pg_steps.connect("B")
        update = other.step("UPDATE orders SET total_cents = 1 WHERE id = 1")
        blocked = update.blocked
        conn.rollback()
        assert not blocked, (
            "after explain returned, another session's UPDATE of the same row waited for this connection: the "
            "explained UPDATE kept its row lock — roll it back (to a savepoint) before returning"
        )
        updated = update.result()
        assert updated == 1, (
            f"harness check: once this connection rolled back, B's UPDATE changes order 1, got {updated}"
        )

    def test_explain_keeps_the_locks_the_caller_holds(self, conn, pg_steps):
        conn.execute("SELECT * FROM orders WHERE id = 1 FOR UPDATE")  # the caller locks order 1 ...
        explain.explain(conn, CUSTOMER_PAGE, (42,))  # ... looks at a plan ...
        other = pg_steps.connect("B")
        update = other.step("UPDATE orders SET total_cents = 1 WHERE id = 1")  # ... and must still hold the lock
        held = update.blocked
        conn.rollback()
        update.result()
        assert held, (
            "explain released the caller's row lock: it ended the caller's transaction (conn.rollback()) instead of "
            "rolling back only its own statement"
        )


@level(4)
class TestEvidence:
    def test_the_slowest_node_points_at_the_index_that_fixes_the_query(self, conn, make_pg_dsn, evidence):
        root = explain.explain(conn, CUSTOMER_PAGE, (42,))
        slow = explain.slowest_node(root)
        assert slow["Node Type"] == "Seq Scan" and slow.get("Relation Name") == "orders", (
            f"the slow node of {shape(root)} is the Seq Scan reading all 100,000 orders for 20 rows; slowest_node "
            f"returned a {slow['Node Type']}"
        )
        assert "customer_id" in slow.get("Filter", ""), "harness check: the scan filters on customer_id"
        conn.execute("CREATE INDEX orders_customer_id_idx ON orders (customer_id)")  # the index it calls for
        conn.commit()

        with psycopg.connect(make_pg_dsn(seed=SHOP)) as before:  # the same shop without the index
            plans: dict[str, list[dict]] = {"before": [], "after": []}
            for i in range(7):  # interleaved, so that load on the machine hits both
                plans["before"].append(explain.explain(before, CUSTOMER_PAGE, (42 + i,)))
                plans["after"].append(explain.explain(conn, CUSTOMER_PAGE, (42 + i,)))
        ms = {k: statistics.median(p["Actual Total Time"] for p in v) for k, v in plans.items()}
        blocks = {
            k: statistics.median(p["Shared Hit Blocks"] + p["Shared Read Blocks"] for p in v) for k, v in plans.items()
        }
        after = plans["after"][0]
        evidence.record(
            "a customer's page, before → after the index its slowest node called for",
            round(ms["before"] / ms["after"], 1),
            "×",
            claim="find and fix slow queries (500 ms → 5 ms)",
            detail=f"{ms['before']:.2f} → {ms['after']:.3f} ms (server, EXPLAIN ANALYZE, median of 7 interleaved); "
            f"{blocks['before']:.0f} → {blocks['after']:.0f} buffers; now {shape(after)}",
        )
        assert explain.seq_scans(after) == [], f"with the index, orders is no longer scanned: {shape(after)}"
        assert blocks["after"] * 10 <= blocks["before"], (
            f"the index should cut the buffers read at least 10× ({blocks['before']:.0f} → {blocks['after']:.0f})"
        )
        assert ms["after"] * 5 <= ms["before"], (  # 36-218x measured on a loaded machine: a third of the least
            f"the query took {ms['before']:.2f} ms without the index and {ms['after']:.3f} ms with it: at least 5× "
            "faster was expected"
        )
