"""Mistake: the 'simple' text search configuration: no stemming, so "run" does not find "running".

Caught by: test_stemming_finds_other_forms_of_a_word
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")

SETUP = [SETUP[0].replace("'english'", "'simple'"), *SETUP[1:]]  # noqa: F821 - from the reference
SEARCH = SEARCH.replace("'english'", "'simple'")  # noqa: F821
