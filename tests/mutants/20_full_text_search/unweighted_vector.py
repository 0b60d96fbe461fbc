"""Mistake: title and body go into one vector with the same weight, so a body that repeats a word outranks a title.

Caught by: test_a_title_hit_outranks_a_body_hit
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SETUP = [  # noqa: F821 - from the reference
    """ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
           to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, ''))) STORED""",
    *SETUP[1:],  # noqa: F821
]
