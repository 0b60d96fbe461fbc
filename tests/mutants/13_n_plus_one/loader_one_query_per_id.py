"""Mistake: the loader caches, but looks up each new id with a query of its own.

Caught by: test_a_loader_runs_one_query_per_call_and_none_for_authors_it_has, test_one_load_many_call_reads_one_snapshot_while_a_writer_commits, test_query_counts_stay_constant_as_n_grows_from_10_to_1000
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


class AuthorLoader:
    def __init__(self, conn):
        self.conn = conn
        self.authors = {}

    def load_many(self, ids):
        for i in ids:
            if i not in self.authors:
                row = self.conn.execute("SELECT id, name FROM authors WHERE id = %s", (i,)).fetchone()
                self.authors[i] = {"id": row[0], "name": row[1]} if row else None
        return [self.authors[i] for i in ids]
