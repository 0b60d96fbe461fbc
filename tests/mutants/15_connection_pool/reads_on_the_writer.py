"""Mistake: read() borrows from the writer pool, so reads never reach the replica.

Caught by: test_read_returns_the_readers_rows, test_reads_and_writes_reach_their_own_pools
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def _read(self, sql, params=()):
    with self.writer.connection() as conn:
        return conn.execute(sql, params or None).fetchall()


Pools.read = _read  # noqa: F821 - from the reference
