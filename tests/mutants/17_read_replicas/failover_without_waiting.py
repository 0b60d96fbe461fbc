"""Mistake: failover asks for promotion without waiting for it (pg_promote(wait => false)), so the next write meets a server still read-only.

Caught by: test_failover_promotes_the_replica_and_keeps_what_it_had_replayed
"""

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def failover(self):
        promoted = psycopg.connect(self.replica_dsn, autocommit=True)
        promoted.execute("SELECT pg_promote(wait => false)")
        self._primary.close()
        self._primary = promoted
        self._promoted = True
