"""Mistake: go_off_call counts the doctors on call with a plain SELECT, then leaves: write skew empties the rota.

Caught by: test_two_doctors_leaving_at_once_leave_one_on_call
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")


def go_off_call(conn, doctor_id):
    with conn.transaction():
        (others,) = conn.execute("SELECT count(*) FROM doctors WHERE on_call AND id <> %s", (doctor_id,)).fetchone()
        if others < 1:
            return False
        return conn.execute("UPDATE doctors SET on_call = false WHERE id = %s AND on_call", (doctor_id,)).rowcount == 1
