"""Mistake: suggestions match titles with ILIKE '%text%', which a single typo defeats.

Caught by: test_suggestions_survive_a_typo
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SUGGEST = """
SELECT title FROM articles WHERE title ILIKE '%%' || %(text)s || '%%' ORDER BY title LIMIT %(limit)s
"""
