"""Kata 14 — reading query plans (reference)."""

from __future__ import annotations

import psycopg


def explain(conn: psycopg.Connection, sql: str, params=()) -> dict:
    # A transaction of its own when the connection is idle or in autocommit, a savepoint inside the
    # caller's transaction: either way rolled back, whatever the statement did.
    with conn.transaction(force_rollback=True):
        row = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params or None).fetchone()
    return row[0][0]["Plan"]


def walk(node: dict) -> list[dict]:
    nodes = [node]
    for child in node.get("Plans", []):
        nodes += walk(child)
    return nodes


def seq_scans(node: dict) -> list[str]:
    return [n["Relation Name"] for n in walk(node) if n["Node Type"] == "Seq Scan"]


def actual_rows(node: dict) -> int:
    return round(node["Actual Rows"] * node["Actual Loops"])


def _total_ms(node: dict) -> float:
    return node["Actual Total Time"] * node["Actual Loops"]


def self_time_ms(node: dict) -> float:
    return _total_ms(node) - sum(_total_ms(child) for child in node.get("Plans", []))


def slowest_node(node: dict) -> dict:
    return max(walk(node), key=self_time_ms)


def misestimates(node: dict, factor: float = 10) -> list[dict]:
    found = []
    for n in walk(node):
        actual = max(actual_rows(n), 1)
        planned = max(n["Plan Rows"] * n["Actual Loops"], 1)
        if max(actual, planned) / min(actual, planned) > factor:
            found.append(n)
    return found


def _spilled(n: dict) -> bool:
    return (
        n.get("Sort Space Type") == "Disk"  # an external sort
        or n.get("Hash Batches", 1) > 1  # a hash join's table split into batches on disk
        or n.get("Disk Usage", 0) > 0  # a hash aggregate that spilled (PostgreSQL 13+)
        or any(_spilled(worker) for worker in n.get("Workers", []))  # a parallel worker's share
    )


def spills_to_disk(node: dict) -> bool:
    return any(_spilled(n) for n in walk(node))
