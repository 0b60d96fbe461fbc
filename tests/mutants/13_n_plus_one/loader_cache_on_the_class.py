"""Mistake: the cache is a class attribute, shared by every loader: later requests see stale authors.

Caught by: test_each_loader_has_a_cache_of_its_own
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


class AuthorLoader:
    authors: dict = {}  # noqa: RUF012 - the mistake

    def __init__(self, conn):
        self.conn = conn

    def load_many(self, ids):
        missing = [i for i in dict.fromkeys(ids) if i not in self.authors]
        if missing:
            rows = self.conn.execute("SELECT id, name FROM authors WHERE id = ANY(%s)", (missing,))
            found = {i: {"id": i, "name": name} for i, name in rows}
            self.authors.update({i: found.get(i) for i in missing})
        return [self.authors[i] for i in ids]
