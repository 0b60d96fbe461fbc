"""Kata 20 — full-text search in PostgreSQL (reference solution)."""

from __future__ import annotations

# websearch_to_tsquery never rejects its input's syntax, but tens of thousands of words exhaust
# the server's stack: nobody types a longer query than this.
MAX_QUERY_CHARS = 1_000

SETUP = [
    # Kept up to date by the database itself: a stored generated column is recomputed on every
    # INSERT and UPDATE. coalesce: a NULL title must not make the whole vector NULL.
    """ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
           setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
           setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED""",
    "CREATE INDEX articles_search_idx ON articles USING gin (search)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX articles_title_trgm_idx ON articles USING gin (title gin_trgm_ops)",
]

# Rank every match, keep the best `limit`, and only then build headlines (ts_headline re-parses
# the whole document: the expensive part).
SEARCH = """
SELECT id, title, rank, ts_headline('english', coalesce(body, ''), query) AS headline
FROM (
    SELECT id, title, body, ts_rank(search, query) AS rank, query
    FROM articles, websearch_to_tsquery('english', %(query)s) AS query
    WHERE search @@ query
    ORDER BY rank DESC, id
    LIMIT %(limit)s
) AS best
ORDER BY rank DESC, id
"""

SUGGEST = """
SELECT title FROM articles
WHERE title %% %(text)s
ORDER BY similarity(title, %(text)s) DESC, title
LIMIT %(limit)s
"""


def clean(text: str) -> str:
    """Any str PostgreSQL can take: no NUL characters, no unpaired surrogates, not too long."""
    text = text[:MAX_QUERY_CHARS].replace("\x00", " ")
    return text.encode("utf-8", "replace").decode("utf-8")


def setup_search(conn) -> None:
    for statement in SETUP:  # one transaction: no row can slip in between the steps
        conn.execute(statement)
    conn.commit()


def search(conn, query: str, limit: int = 10) -> list[dict]:
    rows = conn.execute(SEARCH, {"query": clean(query), "limit": limit}).fetchall()
    return [{"id": i, "title": t, "rank": float(r), "headline": h} for i, t, r, h in rows]


def suggest(conn, text: str, limit: int = 5) -> list[str]:
    return [title for (title,) in conn.execute(SUGGEST, {"text": clean(text), "limit": limit})]
