"""Mistake: actual_rows truncates rows × loops with int(), so 0.33 rows × 3 loops counts as 0.

Caught by: test_actual_rows_rounds_fractional_rows_per_loop
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def actual_rows(node):
    return int(node["Actual Rows"] * node["Actual Loops"])
