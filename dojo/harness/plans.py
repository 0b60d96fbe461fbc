"""Reading EXPLAIN plans, for the kata tests only.

Not one of the helpers kata tests are documented to use (dojo.race, dojo.pg_race, dojo.measure),
and no lesson points here: katas 12 and 14 ask learners to write such functions themselves, and
kata 14's tests keep their own oracle.
"""

from __future__ import annotations

from typing import Any

import psycopg


def plan(conn: psycopg.Connection, query: str, params: Any = None, *, analyze: bool = False) -> dict:
    """The JSON plan of `query` (with buffers when analyzed); the top node is plan["Plan"].

    An analyzed statement really runs: it runs inside a savepoint that is rolled back, so a
    data-changing statement changes nothing.
    """
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    with conn.transaction(force_rollback=True):
        row = conn.execute(f"EXPLAIN ({options}) {query}", params).fetchone()
    return row[0][0]


def nodes(plan: dict) -> list[dict]:
    """Every node of a plan, depth first."""
    out, stack = [], [plan.get("Plan", plan)]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.get("Plans", [])))
    return out


def node_types(plan: dict) -> list[str]:
    return [n["Node Type"] for n in nodes(plan)]


def indexes_read(plan: dict) -> set[str]:
    """Names of the indexes some node of the plan reads."""
    return {n["Index Name"] for n in nodes(plan) if "Index Name" in n}
