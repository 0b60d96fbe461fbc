"""Mistake: transfer never checks that the destination exists: the debit happens, the credit changes no row.

Caught by: test_a_transfer_to_a_missing_account_moves_no_money
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def transfer(conn, from_id, to_id, cents):
    with conn.transaction():
        rows = conn.execute(
            "SELECT id, balance_cents FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE", (from_id, to_id)
        ).fetchall()
        balance = dict(rows).get(from_id, 0)
        if balance < cents:
            raise InsufficientFunds(from_id)
        conn.execute(MOVE, {"src": from_id, "dst": to_id, "cents": cents})
