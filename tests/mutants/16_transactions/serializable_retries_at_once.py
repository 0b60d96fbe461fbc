"""Mistake: run_serializable retries at once, without a pause: colliding transactions collide again.

Caught by: test_run_serializable_pauses_longer_before_each_retry
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")

FIRST_PAUSE_S = 0.0
