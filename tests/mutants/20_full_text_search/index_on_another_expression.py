"""Mistake: the GIN index is built on to_tsvector('english', body), an expression the search never uses, so it is never chosen.

Caught by: test_search_can_use_a_gin_index
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SETUP = [  # noqa: F821 - from the reference
    s.replace("USING gin (search)", "USING gin (to_tsvector('english', body))")
    for s in SETUP  # noqa: F821
]
