"""Mistake: misestimates compares the per-loop "Plan Rows" with the total actual rows of all loops.

Caught by: test_a_nested_loops_inner_side_estimated_right_per_loop_is_no_misestimate
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def misestimates(node, factor=10):
    found = []
    for n in walk(node):  # noqa: F821
        actual, planned = max(actual_rows(n), 1), max(n["Plan Rows"], 1)  # noqa: F821
        if max(actual, planned) / min(actual, planned) > factor:
            found.append(n)
    return found
