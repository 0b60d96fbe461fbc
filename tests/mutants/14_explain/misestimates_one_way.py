"""Mistake: misestimates only flags nodes that produced more rows than planned, never fewer.

Caught by: test_misestimates_looks_both_ways_and_counts_zero_as_one
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def misestimates(node, factor=10):
    return [
        n
        for n in walk(node)  # noqa: F821
        if actual_rows(n) > factor * max(n["Plan Rows"] * n["Actual Loops"], 1)  # noqa: F821
    ]
