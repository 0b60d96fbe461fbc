"""Mistake: explain pastes the parameters into the SQL text instead of sending them as parameters.

Caught by: test_explain_sends_parameters_as_parameters
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")

_reference_explain = explain  # noqa: F821 - from the reference


def explain(conn, sql, params=()):
    pasted = sql % tuple(f"'{p}'" if isinstance(p, str) else str(p) for p in params) if params else sql
    return _reference_explain(conn, pasted)
