"""Mistake: stable_hash adds up the characters' codes: stable, but similar keys pile up on a few values.

Caught by: test_stable_hash_is_an_int_that_depends_only_on_the_key
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


def stable_hash(key):
    return sum(ord(c) for c in key)
