"""Mistake: every match, headline included, is fetched and sorted, and the list is cut to limit in Python.

Caught by: test_headlines_are_built_only_for_the_rows_returned, test_headlines_are_computed_only_for_the_rows_returned
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SEARCH = """
SELECT id, title, ts_rank(search, query) AS rank, ts_headline('english', coalesce(body, ''), query)
FROM articles, websearch_to_tsquery('english', %(query)s) AS query
WHERE search @@ query AND %(limit)s IS NOT NULL
ORDER BY rank DESC, id
"""
_search = search  # noqa: F821 - from the reference


def search(conn, query, limit=10):
    return _search(conn, query, limit)[:limit]
