"""Mistake: the router connects to the replica when it is created and fails if the replica is down.

Caught by: test_an_unreachable_replica_sends_every_read_to_the_primary
"""

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def __init__(self, primary_dsn, replica_dsn, max_lag_bytes=1_000_000):
        super().__init__(primary_dsn, replica_dsn, max_lag_bytes)
        self._replica = psycopg.connect(replica_dsn, autocommit=True)
