"""Kata 20, another design: no stored column — a GIN index on the weighted vector expression itself
(which the database maintains like any index), cover-density ranking, headlines in a second query for
the chosen ids only, and nearest-neighbour suggestions from a GiST trigram index."""

from __future__ import annotations

import re

VECTOR = (
    "(setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B'))"
)
MAX_WORDS = 64
UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def tidy(text: str) -> str:
    words = UNSAFE.sub(" ", text).split()[:MAX_WORDS]
    return " ".join(w[:200] for w in words).encode("utf-8", "ignore").decode("utf-8")


def setup_search(conn) -> None:
    with conn.transaction():
        conn.execute(f"CREATE INDEX articles_fts ON articles USING gin ({VECTOR})")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("CREATE INDEX articles_title_trgm ON articles USING gist (title gist_trgm_ops)")
    conn.commit()


def search(conn, query: str, limit: int = 10) -> list[dict]:
    best = conn.execute(
        f"""SELECT id, title, ts_rank_cd({VECTOR}, q)::float8
            FROM articles, websearch_to_tsquery('english', %s) AS q
            WHERE {VECTOR} @@ q
            ORDER BY 3 DESC, id LIMIT %s""",
        (tidy(query), limit),
    ).fetchall()
    if not best:
        return []
    headlines = dict(
        conn.execute(
            "SELECT id, ts_headline('english', coalesce(body, ''), websearch_to_tsquery('english', %s)) "
            "FROM articles WHERE id = ANY(%s)",
            (tidy(query), [row[0] for row in best]),
        ).fetchall()
    )
    return [{"id": i, "title": t, "rank": r, "headline": headlines[i]} for i, t, r in best]


def suggest(conn, text: str, limit: int = 5) -> list[str]:
    rows = conn.execute(
        "SELECT title FROM articles WHERE title IS NOT NULL ORDER BY title <-> %s, title LIMIT %s",
        (tidy(text), limit),
    ).fetchall()
    return [title for (title,) in rows]
