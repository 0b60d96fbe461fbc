"""Mistake: bulk_create_users commits every 1,000 rows, so a duplicate or a crash leaves the earlier chunks behind.

Caught by: test_a_bulk_insert_with_one_duplicate_inserts_nothing, test_a_crash_part_way_through_a_bulk_insert_leaves_no_rows, test_other_connections_never_see_part_of_a_bulk_insert, test_10k_bulk_rows_take_at_most_5_transactions_and_under_100_round_trips
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def bulk_create_users(conn, rows):
    rows = list(rows)
    try:
        for start in range(0, len(rows), 1000):
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO users (email, name) VALUES (%s, %s)", rows[start : start + 1000])
            conn.commit()
    except Exception:
        conn.rollback()
        raise
    return len(rows)
