"""Mistake: run_serializable counts retries instead of attempts: max_attempts=3 runs fn four times.

Caught by: test_run_serializable_gives_up_after_max_attempts_with_the_last_error
"""

import random
import time

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def run_serializable(dsn, fn, max_attempts=5):
    with psycopg.connect(dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for retry in range(max_attempts + 1):
            try:
                result = fn(conn)
                conn.commit()
                return result
            except psycopg.Error as exc:
                if exc.sqlstate not in RETRYABLE or retry == max_attempts:
                    raise
                conn.rollback()
            time.sleep(FIRST_PAUSE_S * 2**retry * random.uniform(1.0, 1.5))
