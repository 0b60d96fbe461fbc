"""Kata 13 — the N+1 query problem.

Fill in every function below; `pytest katas/13_n_plus_one` tells you what is missing.
`conn` is a psycopg 3 Connection (autocommit off, default row factory) to a database that
holds the given tables (the tests create and fill them):

    authors(id int PRIMARY KEY, name text)
    books(id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors, title text, published int)

"A query" is one SQL statement that PostgreSQL runs; BEGIN, COMMIT and ROLLBACK do not count.
The tests count queries on the server (pg_stat_statements), not in your code.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg


def books_with_authors(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(title, author name) for every book, ordered by book id.

    One query, whether there are 10 books or 1,000, so the whole list comes from one snapshot
    of the database even while others commit changes.
    """
    raise NotImplementedError


def titles_by_author(conn: psycopg.Connection, author_ids: Sequence[int]) -> dict[int, list[str]]:
    """The titles of each requested author's books, ordered by book id.

    Every requested id is a key of the result: an author without books, and an id that no
    author has, map to []. At most two queries, however many ids are asked for (10 or 1,000).
    """
    raise NotImplementedError


class AuthorLoader:
    """A cache of authors for one request that batches lookups (the DataLoader pattern).

    Each loader has a cache of its own: a new loader (a new request) asks the database again.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        raise NotImplementedError

    def load_many(self, ids: Sequence[int]) -> list[dict | None]:
        """The authors with these ids, as {"id": ..., "name": ...}, aligned with `ids`.

        One entry per id asked for, in the same order, duplicates included; None for an id no
        author has. One query per call, for the ids this loader has not loaded before (and only
        those); no query at all when it has already loaded every id asked for.
        """
        raise NotImplementedError
