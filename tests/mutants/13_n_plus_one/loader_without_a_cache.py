"""Mistake: the loader batches but never remembers: every call asks the database again.

Caught by: test_a_loader_runs_one_query_per_call_and_none_for_authors_it_has, test_a_loader_fetches_only_the_ids_it_does_not_have_yet
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


class AuthorLoader:
    def __init__(self, conn):
        self.conn = conn

    def load_many(self, ids):
        rows = self.conn.execute("SELECT id, name FROM authors WHERE id = ANY(%s)", (list(ids),))
        found = {i: {"id": i, "name": name} for i, name in rows}
        return [found.get(i) for i in ids]
