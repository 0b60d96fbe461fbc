"""Mistake: transfer refuses a transfer that would leave exactly zero (<= instead of <).

Caught by: test_the_whole_balance_can_be_transferred
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def _balances(rows, from_id, to_id, cents):
    found = {row[0]: row[1] for row in rows}
    if {from_id, to_id} - set(found):
        raise LookupError("no such account")
    if found[from_id] <= cents:
        raise InsufficientFunds(from_id)
