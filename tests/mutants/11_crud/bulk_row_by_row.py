"""Mistake: bulk_create_users sends one INSERT per row and waits for each reply (one transaction, 10,000 round trips).

Caught by: test_10k_bulk_rows_take_at_most_5_transactions_and_under_100_round_trips
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def bulk_create_users(conn, rows):
    count = 0
    with conn.transaction():
        for email, name in rows:
            conn.execute("INSERT INTO users (email, name) VALUES (%s, %s)", (email, name))
            count += 1
    conn.commit()
    return count
