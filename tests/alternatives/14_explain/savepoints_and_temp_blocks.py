"""Kata 14 — another correct design: explicit SAVEPOINT / BEGIN … ROLLBACK statements, an iterative walk,
log-ratio estimates, and spills found from the temp blocks each sort or hash node wrote itself."""

from __future__ import annotations

import math

import psycopg
from psycopg.pq import TransactionStatus

SAVEPOINT = "kata14_explain"


def _explain_now(conn: psycopg.Connection, sql: str, params) -> dict:
    cur = conn.cursor()
    cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, tuple(params) if params else None)
    (document,) = cur.fetchone()
    return document[0]["Plan"]


def explain(conn: psycopg.Connection, sql: str, params=()) -> dict:
    if conn.info.transaction_status == TransactionStatus.INTRANS:  # inside the caller's transaction
        conn.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            return _explain_now(conn, sql, params)
        finally:
            conn.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            conn.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
    if conn.autocommit:
        conn.execute("BEGIN")
    try:
        return _explain_now(conn, sql, params)
    finally:
        conn.rollback()  # the transaction was ours alone


def walk(node: dict) -> list[dict]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.get("Plans", [])))
    return out


def seq_scans(node: dict) -> list[str]:
    return sorted({n["Relation Name"] for n in walk(node) if n["Node Type"] == "Seq Scan"})


def actual_rows(node: dict) -> int:
    return int(node["Actual Rows"] * node["Actual Loops"] + 0.5)


def self_time_ms(node: dict) -> float:
    def total(n: dict) -> float:
        return n["Actual Loops"] * n["Actual Total Time"]

    return total(node) - sum(map(total, node.get("Plans", [])))


def slowest_node(node: dict) -> dict:
    nodes = walk(node)
    times = [self_time_ms(n) for n in nodes]
    return nodes[times.index(max(times))]


def misestimates(node: dict, factor: float = 10) -> list[dict]:
    limit = math.log(factor)

    def off(n: dict) -> bool:
        actual = max(actual_rows(n), 1)
        planned = max(n["Plan Rows"] * n["Actual Loops"], 1)
        return abs(math.log(actual) - math.log(planned)) > limit + 1e-12

    return [n for n in walk(node) if off(n)]


def _own_temp_blocks(node: dict) -> int:
    written = node.get("Temp Written Blocks", 0)
    return written - sum(c.get("Temp Written Blocks", 0) for c in node.get("Plans", []))


def spills_to_disk(node: dict) -> bool:
    for n in walk(node):
        sorts_or_hashes = "Sort" in n["Node Type"] or "Hash" in n["Node Type"] or n.get("Strategy") == "Hashed"
        if sorts_or_hashes and (_own_temp_blocks(n) > 0 or n.get("Sort Space Type") == "Disk"):
            return True
    return False
