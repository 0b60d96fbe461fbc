"""Mistake: transfer_optimistic compares the source row's version only: a changed destination goes unnoticed.

Caught by: test_an_optimistic_transfer_conflicts_when_a_row_changed_after_it_was_read
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def transfer_optimistic(conn, from_id, to_id, cents):
    with conn.transaction():
        rows = conn.execute(
            "SELECT id, balance_cents, version FROM accounts WHERE id IN (%s, %s)", (from_id, to_id)
        ).fetchall()
        _balances(rows, from_id, to_id, cents)
        version = {row[0]: row[2] for row in rows}[from_id]
        debited = conn.execute(
            "UPDATE accounts SET balance_cents = balance_cents - %s, version = version + 1 WHERE id = %s AND version = %s",
            (cents, from_id, version),
        ).rowcount
        if debited != 1:
            raise Conflict(from_id)
        conn.execute(
            "UPDATE accounts SET balance_cents = balance_cents + %s, version = version + 1 WHERE id = %s",
            (cents, to_id),
        )
