"""Mistake: create_user puts the values into the SQL text with an f-string instead of sending them as parameters.

Caught by: test_hostile_names_and_emails_round_trip_as_data
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def create_user(conn, email, name):
    user_id = conn.execute(f"INSERT INTO users (email, name) VALUES ('{email}', '{name}') RETURNING id").fetchone()[0]
    conn.commit()
    return user_id
