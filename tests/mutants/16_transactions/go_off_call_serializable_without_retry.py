"""Mistake: go_off_call runs SERIALIZABLE but lets the serialization failure escape instead of retrying.

Caught by: test_with_three_on_call_two_can_leave_at_once
"""

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")


def go_off_call(conn, doctor_id):
    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    try:
        with conn.transaction():
            (others,) = conn.execute("SELECT count(*) FROM doctors WHERE on_call AND id <> %s", (doctor_id,)).fetchone()
            if others < 1:
                return False
            conn.execute("UPDATE doctors SET on_call = false WHERE id = %s", (doctor_id,))
            return True
    finally:
        conn.isolation_level = None
