"""Mistake: the rank is computed but the results are ordered by id, not by rank.

Caught by: test_a_title_hit_outranks_a_body_hit
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SEARCH = SEARCH.replace("ORDER BY rank DESC, id", "ORDER BY id")  # noqa: F821 - from the reference
