"""Kata 14 — reading query plans.

Fill in every function below; `pytest katas/14_explain` tells you what is missing.
`conn` is a psycopg 3 Connection (autocommit off). A plan node is a dict as PostgreSQL writes it in
`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`: "Node Type", "Relation Name", "Plan Rows",
"Actual Rows", "Actual Loops", "Actual Total Time", … and its children under "Plans" (absent on a
leaf). "Actual Rows" and "Actual Total Time" are averages per loop.
"""

from __future__ import annotations


def explain(conn, sql: str, params=()) -> dict:
    """Run `sql` under EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) and return the root plan node (a dict
    with "Node Type", not the list or the {"Plan": …} wrapper around it).

    `params` are sent as parameters (`%s` placeholders). The statement really runs, so run it inside
    a transaction that is rolled back: a data-changing statement (also one hidden in a SELECT's
    WITH clause) changes nothing, on an autocommit connection too, and leaves no lock behind. The
    caller's own uncommitted work and locks are kept.
    """
    raise NotImplementedError


def walk(node: dict) -> list[dict]:
    """`node` and all its descendants (children under "Plans", sub-plans included), depth first:
    each node next to its whole subtree."""
    raise NotImplementedError


def seq_scans(node: dict) -> list[str]:
    """The relation names (not aliases) read by a Seq Scan anywhere in the tree; [] if none."""
    raise NotImplementedError


def actual_rows(node: dict) -> int:
    """Rows the node produced in total: rows per loop × loops, as a whole number (PostgreSQL 18
    reports per-loop rows with two decimals, e.g. 0.33 over 3 loops is 1 row)."""
    raise NotImplementedError


def self_time_ms(node: dict) -> float:
    """Milliseconds spent in the node itself: its total time minus its children's, each per-loop
    time × its loops."""
    raise NotImplementedError


def slowest_node(node: dict) -> dict:
    """The node of the tree (`node` included) with the largest self time."""
    raise NotImplementedError


def misestimates(node: dict, factor: float = 10) -> list[dict]:
    """The nodes of the tree whose actual total rows and planned total rows ("Plan Rows" per loop ×
    loops) differ by more than `factor`, either way. Zero counts as one."""
    raise NotImplementedError


def spills_to_disk(node: dict) -> bool:
    """True if a sort or a hash (hash join, hash aggregate) anywhere in the tree used disk because it
    outgrew work_mem."""
    raise NotImplementedError
