"""Mistake: run_serializable retries on any error, so a bug or a unique violation runs max_attempts times.

Caught by: test_other_errors_propagate_at_once
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
            except Exception:
                conn.rollback()
                if attempt == max_attempts:
                    raise
            time.sleep(FIRST_PAUSE_S * 2 ** (attempt - 1))
