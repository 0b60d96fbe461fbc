"""Kata 16 — transactions and isolation (reference solution)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg

T = TypeVar("T")

RETRYABLE = {"40001", "40P01"}  # serialization_failure, deadlock_detected
FIRST_PAUSE_S = 0.01
MAX_PAUSE_S = 1.0

# One UPDATE changes both rows: the source loses `cents`, the destination gains them.
MOVE = """
UPDATE accounts
SET balance_cents = balance_cents + CASE WHEN id = %(src)s THEN -%(cents)s ELSE %(cents)s END,
    version = version + 1
WHERE id IN (%(src)s, %(dst)s)
"""


class InsufficientFunds(Exception):
    """The source account would go below zero."""


class Conflict(Exception):
    """An optimistic transfer found a row changed since it was read."""


def _balances(rows: list[tuple], from_id: int, to_id: int, cents: int) -> None:
    found = {row[0]: row[1] for row in rows}
    missing = {from_id, to_id} - set(found)
    if missing:
        raise LookupError(f"no account {sorted(missing)}")
    if found[from_id] < cents:
        raise InsufficientFunds(f"account {from_id} has {found[from_id]} cents, {cents} needed")


def transfer(conn: psycopg.Connection, from_id: int, to_id: int, cents: int) -> None:
    with conn.transaction():
        # Lock both rows, lowest id first: two transfers in opposite directions ask for the same
        # row first, so one waits for the other instead of each holding what the other needs.
        rows = conn.execute(
            "SELECT id, balance_cents FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE",
            (from_id, to_id),
        ).fetchall()
        _balances(rows, from_id, to_id, cents)
        conn.execute(MOVE, {"src": from_id, "dst": to_id, "cents": cents})


def transfer_optimistic(conn: psycopg.Connection, from_id: int, to_id: int, cents: int) -> None:
    with conn.transaction():
        rows = conn.execute(
            "SELECT id, balance_cents, version FROM accounts WHERE id IN (%s, %s)", (from_id, to_id)
        ).fetchall()
        _balances(rows, from_id, to_id, cents)
        versions = {row[0]: row[2] for row in rows}
        # Write only if both rows still carry the versions read: a row changed meanwhile no longer
        # matches, the UPDATE changes fewer than two rows, and the transaction is rolled back.
        changed = conn.execute(
            MOVE + " AND version = CASE WHEN id = %(src)s THEN %(v_src)s ELSE %(v_dst)s END",
            {"src": from_id, "dst": to_id, "cents": cents, "v_src": versions[from_id], "v_dst": versions[to_id]},
        ).rowcount
        if changed != 2:
            raise Conflict(f"account {from_id} or {to_id} changed since it was read")


def run_serializable(dsn: str, fn: Callable[[psycopg.Connection], T], max_attempts: int = 5) -> T:
    with psycopg.connect(dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for attempt in range(1, max_attempts + 1):
            try:
                result = fn(conn)
                conn.commit()
                return result
            except psycopg.Error as exc:
                if exc.sqlstate not in RETRYABLE or attempt == max_attempts:
                    raise
                conn.rollback()
            # Exponential backoff with jitter: 10, 20, 40 ms … (at most a second), each at least 1.3× the last.
            time.sleep(min(MAX_PAUSE_S, FIRST_PAUSE_S * 2 ** (attempt - 1) * random.uniform(1.0, 1.5)))
    raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")


def go_off_call(conn: psycopg.Connection, doctor_id: int) -> bool:
    with conn.transaction():
        # Lock every doctor on call: a second doctor deciding at the same time waits here, and
        # then sees the first one's decision (READ COMMITTED re-reads locked rows after the wait).
        on_call = [
            row[0] for row in conn.execute("SELECT id FROM doctors WHERE on_call ORDER BY id FOR UPDATE").fetchall()
        ]
        if doctor_id not in on_call or len(on_call) < 2:
            return False
        conn.execute("UPDATE doctors SET on_call = false WHERE id = %s", (doctor_id,))
        return True
