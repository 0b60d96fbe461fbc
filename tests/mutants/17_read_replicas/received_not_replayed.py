"""Mistake: the session's write is compared with the replica's received WAL position, not its replayed one.

Caught by: test_a_session_reads_its_own_write_before_the_replica_replays_it
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def _fresh_enough_replica(self, session):
        replica = super()._fresh_enough_replica(None)
        if replica is None or session is None:
            return replica
        received = lsn(replica.execute("SELECT pg_last_wal_receive_lsn()::text").fetchone()[0])  # noqa: F821
        return replica if received >= session.wal_lsn else None
