"""Mistake: the replica's lag is never checked, so plain reads keep returning data from a replica far behind.

Caught by: test_a_lagging_replica_sends_plain_reads_to_the_primary
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def _primary_lsn(self):
        return 0  # as if the primary never moved on: no lag, ever
