"""Mistake: the query's length is not bounded; twenty thousand words exhaust the server's stack in websearch_to_tsquery.

Caught by: test_any_text_is_a_safe_query
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")


def clean(text):
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")
