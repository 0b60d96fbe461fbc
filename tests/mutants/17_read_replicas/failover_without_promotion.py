"""Mistake: failover points writes at the replica but never promotes it, so it still refuses every write.

Caught by: test_failover_promotes_the_replica_and_keeps_what_it_had_replayed
"""

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def failover(self):
        self._primary = psycopg.connect(self.replica_dsn, autocommit=True)
        self._promoted = True
