"""Mistake: the vector is a plain column filled once by an UPDATE, so rows written later are never found.

Caught by: test_the_database_keeps_the_search_up_to_date
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SETUP = [  # noqa: F821 - from the reference
    "ALTER TABLE articles ADD COLUMN search tsvector",
    """UPDATE articles SET search = setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
                                    setweight(to_tsvector('english', coalesce(body, '')), 'B')""",
    *SETUP[1:],  # noqa: F821
]
