"""Mistake: run_serializable opens a connection and never closes it.

Caught by: test_run_serializable_closes_its_connection
"""

import random
import time

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")
# ruff: noqa: F821 - MOVE, _balances, RETRYABLE … come from the reference


def run_serializable(dsn, fn, max_attempts=5):
    conn = psycopg.connect(dsn)
    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    for attempt in range(1, max_attempts + 1):
        try:
            result = fn(conn)
            conn.commit()
            return result
        except psycopg.Error as exc:
            conn.rollback()
            if exc.sqlstate not in RETRYABLE or attempt == max_attempts:
                raise
        time.sleep(FIRST_PAUSE_S * 2 ** (attempt - 1) * random.uniform(1.0, 1.5))
