"""Mistake: write() runs on a connection without autocommit and never commits; the pool rolls the write back on return.

Caught by: test_write_returns_the_rowcount_and_commits_on_the_writer
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def _write(self, sql, params=()):
    conn = self.writer.getconn()
    try:
        conn.autocommit = False
        return conn.execute(sql, params or None).rowcount
    finally:
        self.writer.putconn(conn)  # returned inside a transaction: psycopg_pool rolls it back


Pools.write = _write  # noqa: F821 - from the reference
