"""Mistake: the vector concatenates to_tsvector(title) without coalesce, so a NULL title makes the whole vector NULL.

Caught by: test_an_article_without_a_title_is_found_by_its_body
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SETUP = [SETUP[0].replace("coalesce(title, '')", "title"), *SETUP[1:]]  # noqa: F821 - from the reference
