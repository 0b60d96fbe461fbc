"""Mistake: user input goes straight into to_tsquery, whose own syntax rejects most text typed by people.

Caught by: test_any_text_is_a_safe_query
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SEARCH = SEARCH.replace("websearch_to_tsquery", "to_tsquery")  # noqa: F821 - from the reference
