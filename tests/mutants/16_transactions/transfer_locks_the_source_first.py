"""Mistake: transfer locks the source row first, then the destination: opposite transfers deadlock.

Caught by: test_opposite_transfers_side_by_side_never_deadlock
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def transfer(conn, from_id, to_id, cents):
    with conn.transaction():
        src = conn.execute("SELECT id, balance_cents FROM accounts WHERE id = %s FOR UPDATE", (from_id,)).fetchall()
        dst = conn.execute("SELECT id, balance_cents FROM accounts WHERE id = %s FOR UPDATE", (to_id,)).fetchall()
        _balances(src + dst, from_id, to_id, cents)
        conn.execute(MOVE, {"src": from_id, "dst": to_id, "cents": cents})
