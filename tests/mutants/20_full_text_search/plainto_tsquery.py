"""Mistake: the query is parsed with plainto_tsquery, which ignores quotes, -word and or: every word is simply required.

Caught by: test_quotes_search_for_a_phrase, test_a_minus_excludes_a_word, test_or_matches_either_word
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SEARCH = SEARCH.replace("websearch_to_tsquery", "plainto_tsquery")  # noqa: F821 - from the reference
