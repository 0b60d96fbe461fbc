"""Mistake: plain reads are spread round-robin over the primary and the replica, as if the primary were one more replica.

Caught by: test_plain_reads_are_served_by_the_replica, test_most_plain_reads_go_to_the_replica
"""

import itertools

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    _turn = itertools.count()

    def _fresh_enough_replica(self, session):
        replica = super()._fresh_enough_replica(session)
        return replica if next(self._turn) % 2 == 0 else None
