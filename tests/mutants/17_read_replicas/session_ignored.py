"""Mistake: read ignores the session, so a user's read right after their write may hit a replica without it.

Caught by: test_a_session_reads_its_own_write_before_the_replica_replays_it, test_concurrent_sessions_see_their_own_writes_and_only_writers_use_the_primary
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def _fresh_enough_replica(self, session):
        return super()._fresh_enough_replica(None)
