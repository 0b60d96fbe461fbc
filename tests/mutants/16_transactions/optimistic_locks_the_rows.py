"""Mistake: transfer_optimistic reads with SELECT … FOR UPDATE: it holds row locks while deciding, pessimistic after all.

Caught by: test_an_optimistic_transfer_conflicts_when_a_row_changed_after_it_was_read
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def transfer_optimistic(conn, from_id, to_id, cents):
    with conn.transaction():
        rows = conn.execute(
            "SELECT id, balance_cents, version FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE",
            (from_id, to_id),
        ).fetchall()
        _balances(rows, from_id, to_id, cents)
        conn.execute(MOVE, {"src": from_id, "dst": to_id, "cents": cents})
