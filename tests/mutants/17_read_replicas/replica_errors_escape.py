"""Mistake: when the replica drops the router's connection, the read raises instead of falling back to the primary.

Caught by: test_a_broken_replica_connection_falls_back_then_recovers
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def _fresh_enough_replica(self, session):
        replica = self._replica_connection()
        if replica is None:
            return None
        replayed = self._replay_lsn(replica)
        if session is not None and replayed < session.wal_lsn:
            return None
        if self._primary_lsn() - replayed > self.max_lag_bytes:
            return None
        return replica
