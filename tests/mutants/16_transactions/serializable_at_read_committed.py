"""Mistake: run_serializable never sets the isolation level: fn runs at READ COMMITTED and loses updates.

Caught by: test_run_serializable_runs_fn_in_a_committed_serializable_transaction, test_run_serializable_retries_a_real_serialization_failure
"""

import random
import time

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def run_serializable(dsn, fn, max_attempts=5):
    with psycopg.connect(dsn) as conn:
        for attempt in range(1, max_attempts + 1):
            try:
                result = fn(conn)
                conn.commit()
                return result
            except psycopg.Error as exc:
                if exc.sqlstate not in RETRYABLE or attempt == max_attempts:
                    raise
                conn.rollback()
            time.sleep(FIRST_PAUSE_S * 2 ** (attempt - 1) * random.uniform(1.0, 1.5))
