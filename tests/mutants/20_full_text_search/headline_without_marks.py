"""Mistake: the headline is the start of the body, with nothing marking where the query matched.

Caught by: test_the_headline_marks_the_match_in_its_context
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SEARCH = SEARCH.replace("ts_headline('english', coalesce(body, ''), query)", "left(body, 200)")  # noqa: F821
