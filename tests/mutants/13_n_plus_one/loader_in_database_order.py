"""Mistake: load_many returns the rows as the database sends them, not aligned with the ids asked for.

Caught by: test_load_many_returns_author_dicts_aligned_with_the_ids, test_load_many_keeps_duplicates_and_unknown_ids_in_place
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


class AuthorLoader:
    def __init__(self, conn):
        self.conn = conn

    def load_many(self, ids):
        rows = self.conn.execute("SELECT id, name FROM authors WHERE id = ANY(%s) ORDER BY id", (list(ids),))
        return [{"id": i, "name": name} for i, name in rows]
