"""Mistake: misestimates ignores its factor argument and always uses 10.

Caught by: test_misestimates_looks_both_ways_and_counts_zero_as_one
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")

_reference_misestimates = misestimates  # noqa: F821 - from the reference


def misestimates(node, factor=10):
    return _reference_misestimates(node)
