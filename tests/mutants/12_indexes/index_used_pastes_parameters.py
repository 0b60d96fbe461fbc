"""Mistake: index_used pastes the parameters into the SQL text instead of sending them as parameters.

Caught by: test_index_used_sends_parameters_as_parameters
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")

_reference_index_used = index_used  # noqa: F821 - from the reference


def index_used(conn, sql, params=()):
    pasted = sql % tuple(f"'{p}'" if isinstance(p, str) else str(p) for p in params) if params else sql
    return _reference_index_used(conn, pasted)
