"""Mistake: writes run on a connection that is not in autocommit and are never committed.

Caught by: test_a_write_runs_on_the_primary_and_is_committed
"""

import psycopg

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def __init__(self, primary_dsn, replica_dsn, max_lag_bytes=1_000_000):
        super().__init__(primary_dsn, replica_dsn, max_lag_bytes)
        self._primary.close()
        self._primary = psycopg.connect(primary_dsn)
