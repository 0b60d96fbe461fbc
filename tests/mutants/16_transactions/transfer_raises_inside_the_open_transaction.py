"""Mistake: transfer raises InsufficientFunds without rolling back: its row locks stay held.

Caught by: test_a_refused_transfer_leaves_no_lock_and_no_open_transaction
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def transfer(conn, from_id, to_id, cents):
    rows = conn.execute(
        "SELECT id, balance_cents FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE", (from_id, to_id)
    ).fetchall()
    _balances(rows, from_id, to_id, cents)
    conn.execute(MOVE, {"src": from_id, "dst": to_id, "cents": cents})
    conn.commit()
