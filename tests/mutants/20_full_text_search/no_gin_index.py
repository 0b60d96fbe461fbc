"""Mistake: the search vector is stored but never indexed: every search reads the whole table.

Caught by: test_search_can_use_a_gin_index, test_full_text_search_with_gin_beats_ilike
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SETUP = [s for s in SETUP if "USING gin (search)" not in s]  # noqa: F821 - from the reference
