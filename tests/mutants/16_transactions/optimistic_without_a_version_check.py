"""Mistake: transfer_optimistic reads the versions but writes without comparing them: a changed row goes unnoticed.

Caught by: test_an_optimistic_transfer_conflicts_when_a_row_changed_after_it_was_read, test_two_optimistic_transfers_from_one_account_one_wins_one_conflicts
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
        conn.execute(MOVE, {"src": from_id, "dst": to_id, "cents": cents})
