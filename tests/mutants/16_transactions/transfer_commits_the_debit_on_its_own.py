"""Mistake: transfer commits the debit before making the credit: a crash in between loses the money.

Caught by: test_a_transfer_that_dies_between_its_statements_leaves_both_rows_or_neither
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def transfer(conn, from_id, to_id, cents):
    rows = conn.execute(
        "SELECT id, balance_cents FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE", (from_id, to_id)
    ).fetchall()
    try:
        _balances(rows, from_id, to_id, cents)
    except Exception:
        conn.rollback()
        raise
    step = "UPDATE accounts SET balance_cents = balance_cents + %s, version = version + 1 WHERE id = %s"
    conn.execute(step, (-cents, from_id))
    conn.commit()
    conn.execute(step, (cents, to_id))
    conn.commit()
