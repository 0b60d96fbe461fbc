"""Mistake: once a session has written, all its reads go to the primary for good, however far the replica has replayed.

Caught by: test_a_session_returns_to_the_replica_once_its_write_is_replayed
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def _fresh_enough_replica(self, session):
        if session is not None and session.wal_lsn:
            return None
        return super()._fresh_enough_replica(session)
