"""Kata 13, written another way: the database groups and aligns, the loader caches only what exists.

- books_with_authors: a correlated subquery instead of a JOIN (still one statement, one snapshot).
- titles_by_author: unnest the requested ids WITH ORDINALITY and aggregate each author's titles in
  SQL, so every requested id comes back as a row (bookless or unknown: an empty array).
- AuthorLoader: an IN list of placeholders built with psycopg.sql, a cache of the authors found
  only (an unknown id is asked for again next time), and a dict-of-rows alignment.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql


def books_with_authors(conn: psycopg.Connection) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT title, (SELECT name FROM authors WHERE authors.id = books.author_id) FROM books ORDER BY id"
        )
        return [(title, name) for title, name in cur]


def titles_by_author(conn: psycopg.Connection, author_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = conn.execute(
        """
        SELECT r.id, coalesce((SELECT array_agg(b.title ORDER BY b.id) FROM books b WHERE b.author_id = r.id), '{}')
        FROM unnest(%s::int[]) WITH ORDINALITY AS r(id, n)
        ORDER BY r.n
        """,
        (list(author_ids),),
    ).fetchall()
    return {author_id: list(titles) for author_id, titles in rows}


class AuthorLoader:
    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn
        self._found: dict[int, str] = {}

    def load_many(self, ids: Sequence[int]) -> list[dict | None]:
        wanted = sorted({i for i in ids if i not in self._found})
        if wanted:
            query = sql.SQL("SELECT id, name FROM authors WHERE id IN ({})").format(
                sql.SQL(", ").join(sql.Placeholder() * len(wanted))
            )
            self._found.update(self._conn.execute(query, wanted).fetchall())
        return [{"id": i, "name": self._found[i]} if i in self._found else None for i in ids]
