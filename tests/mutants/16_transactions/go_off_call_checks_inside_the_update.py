"""Mistake: go_off_call puts the check in the UPDATE's WHERE: one statement, yet its subquery still reads a snapshot.

Caught by: test_two_doctors_leaving_at_once_leave_one_on_call
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "16_transactions/transactions.py")


def go_off_call(conn, doctor_id):
    with conn.transaction():
        return (
            conn.execute(
                "UPDATE doctors SET on_call = false WHERE id = %(id)s AND on_call "
                "AND EXISTS (SELECT 1 FROM doctors WHERE on_call AND id <> %(id)s)",
                {"id": doctor_id},
            ).rowcount
            == 1
        )
