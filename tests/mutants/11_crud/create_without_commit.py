"""Mistake: create_user inserts but never commits, so the row dies with the transaction.

Caught by: test_create_user_returns_the_new_id_and_commits
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def create_user(conn, email, name):
    return conn.execute("INSERT INTO users (email, name) VALUES (%s, %s) RETURNING id", (email, name)).fetchone()[0]
