"""Mistake: run_serializable pauses the same 20 ms before every retry: the pause never grows.

Caught by: test_run_serializable_pauses_longer_before_each_retry
"""

import time

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def run_serializable(dsn, fn, max_attempts=5):
    with psycopg.connect(dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for attempt in range(1, max_attempts + 1):
            try:
                result = fn(conn)
                conn.commit()
                return result
            except psycopg.Error as exc:
                if exc.sqlstate not in RETRYABLE or attempt == max_attempts:
                    raise
                conn.rollback()
            time.sleep(0.02)
