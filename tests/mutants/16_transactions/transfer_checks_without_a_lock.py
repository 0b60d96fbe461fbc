"""Mistake: transfer checks the balance with a plain SELECT, then updates: two checks pass, the account is overdrawn.

Caught by: test_two_transfers_from_one_account_never_overdraw_it
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def transfer(conn, from_id, to_id, cents):
    with conn.transaction():
        rows = conn.execute(
            "SELECT id, balance_cents FROM accounts WHERE id IN (%s, %s) ORDER BY id", (from_id, to_id)
        ).fetchall()
        _balances(rows, from_id, to_id, cents)
        conn.execute(MOVE, {"src": from_id, "dst": to_id, "cents": cents})
