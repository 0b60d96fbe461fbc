"""Mistake: stable_hash uses Python's hash(), which changes with every interpreter (PYTHONHASHSEED).

Caught by: test_stable_hash_is_the_same_in_another_process
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


def stable_hash(key):
    return hash(key)
