"""Mistake: when any id is missing from the cache, the loader fetches every id of the call again.

Caught by: test_a_loader_fetches_only_the_ids_it_does_not_have_yet
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


class AuthorLoader:
    def __init__(self, conn):
        self.conn = conn
        self.authors = {}

    def load_many(self, ids):
        if any(i not in self.authors for i in ids):
            rows = self.conn.execute("SELECT id, name FROM authors WHERE id = ANY(%s)", (list(set(ids)),))
            found = {i: {"id": i, "name": name} for i, name in rows}
            self.authors.update({i: found.get(i) for i in ids})
        return [self.authors[i] for i in ids]
