"""Mistake: counts hands out the router's own dict, which keeps changing in the caller's hands.

Caught by: test_counts_are_a_snapshot_of_the_callers_statements
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    @property
    def counts(self):
        return self._counts
