"""Mistake: actual_rows returns "Actual Rows" as it stands: the rows of one loop, not of all loops.

Caught by: test_actual_rows_counts_every_loop_of_a_forced_nested_loop, test_actual_rows_rounds_fractional_rows_per_loop
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def actual_rows(node):
    return round(node["Actual Rows"])
