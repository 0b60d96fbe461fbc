"""Mistake: misestimates skips nodes that produced no rows (to avoid dividing by zero) instead of counting zero as one.

Caught by: test_misestimates_looks_both_ways_and_counts_zero_as_one
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def misestimates(node, factor=10):
    found = []
    for n in walk(node):  # noqa: F821
        actual, planned = actual_rows(n), n["Plan Rows"] * n["Actual Loops"]  # noqa: F821
        if actual and planned and max(actual, planned) / min(actual, planned) > factor:
            found.append(n)
    return found
