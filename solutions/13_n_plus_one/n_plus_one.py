"""Kata 13 — the N+1 query problem (reference).

Every function sends a fixed number of queries, however many rows are involved: a JOIN, one
batched `= ANY(%s)` lookup, and a loader that asks only for what it has not seen yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg


def books_with_authors(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(title, author name) for every book, ordered by book id, in one query."""
    return conn.execute(
        "SELECT b.title, a.name FROM books b JOIN authors a ON a.id = b.author_id ORDER BY b.id"
    ).fetchall()


def titles_by_author(conn: psycopg.Connection, author_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each requested author's titles in book id order; [] for bookless or unknown ids; one query."""
    titles: dict[int, list[str]] = {author_id: [] for author_id in author_ids}
    if titles:
        rows = conn.execute("SELECT author_id, title FROM books WHERE author_id = ANY(%s) ORDER BY id", (list(titles),))
        for author_id, title in rows:
            titles[author_id].append(title)
    return titles


class AuthorLoader:
    """A per-request cache of authors that batches lookups (the DataLoader pattern)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._authors: dict[int, dict | None] = {}  # None: asked for, and no such author

    def load_many(self, ids: Sequence[int]) -> list[dict | None]:
        """Authors aligned with `ids` (None for unknown ids); one query for the ids not loaded yet."""
        missing = [i for i in dict.fromkeys(ids) if i not in self._authors]
        if missing:
            rows = self.conn.execute("SELECT id, name FROM authors WHERE id = ANY(%s)", (missing,))
            found = {author_id: {"id": author_id, "name": name} for author_id, name in rows}
            for author_id in missing:
                self._authors[author_id] = found.get(author_id)
        return [self._authors[i] for i in ids]
