"""Mistake: transfer reads both balances and writes back values computed in Python, without locks: a lost update.

Caught by: test_two_transfers_into_one_account_lose_no_update
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def transfer(conn, from_id, to_id, cents):
    with conn.transaction():
        rows = conn.execute("SELECT id, balance_cents FROM accounts WHERE id IN (%s, %s)", (from_id, to_id)).fetchall()
        _balances(rows, from_id, to_id, cents)
        found = dict(rows)
        for account, balance in ((from_id, found[from_id] - cents), (to_id, found[to_id] + cents)):
            conn.execute(
                "UPDATE accounts SET balance_cents = %s, version = version + 1 WHERE id = %s", (balance, account)
            )
