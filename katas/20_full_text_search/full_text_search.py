"""Kata 20 — full-text search in PostgreSQL, with ranking, highlighting and typo-tolerant suggestions.

Fill in every function below; `pytest katas/20_full_text_search` tells you what is missing.
`conn` is a psycopg Connection (autocommit off) to a database that has the table
`articles(id int primary key, title text, body text)`; `title` may be NULL.
"""

from __future__ import annotations


def setup_search(conn) -> None:
    """Prepare `articles` for searching, and commit.

    - A search vector over title and body, weighted so that a match in the title ranks above a
      match in the body, and kept up to date by the database itself: rows inserted or updated
      later with plain SQL (not through this module), also while this function runs, must be
      searchable. A NULL title must not hide the row's body.
    - A GIN index that `search` can use.
    - A trigram index on `title` (the pg_trgm extension) for `suggest`.
    """
    raise NotImplementedError


def search(conn, query: str, limit: int = 10) -> list[dict]:
    """The best `limit` articles for `query`, best rank first: dicts with keys id, title, rank, headline.

    - Web-search syntax: "quoted words" form a phrase, -word excludes a word, `or` between words
      matches either; plain words must all match. English stemming: "run" finds "running".
    - rank is a float (higher is better); headline is a fragment of the body with the matching
      words marked (e.g. <b>…</b>), computed only for the rows returned, not for every match.
    - Any Python str is a valid query — empty, only operators, punctuation, quotes, SQL, NUL
      characters, unpaired surrogates, a hundred thousand characters: the answer is a list
      (perhaps []), never an exception, and `conn` stays usable.
    """
    raise NotImplementedError


def suggest(conn, text: str, limit: int = 5) -> list[str]:
    """At most `limit` titles most similar to `text` (trigram similarity), the most similar first.

    Typos welcome: "kubernets" suggests "Kubernetes basics". Never a NULL title, and, as for
    `search`, any str is safe.
    """
    raise NotImplementedError
