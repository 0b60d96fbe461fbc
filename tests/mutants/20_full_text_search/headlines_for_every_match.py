"""Mistake: a materialized CTE builds a headline for every match, and only then sorts and limits.

Caught by: test_headlines_are_built_only_for_the_rows_returned, test_headlines_are_computed_only_for_the_rows_returned
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SEARCH = """
WITH matches AS MATERIALIZED (
    SELECT id, title, ts_rank(search, query) AS rank, ts_headline('english', coalesce(body, ''), query) AS headline
    FROM articles, websearch_to_tsquery('english', %(query)s) AS query
    WHERE search @@ query
)
SELECT id, title, rank, headline FROM matches ORDER BY rank DESC, id LIMIT %(limit)s
"""
