"""Mistake: requests borrow with getconn() and give back with putconn() only on success, so every error leaks a connection.

Caught by: test_an_error_inside_a_request_leaks_no_connection
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def _read(self, sql, params=()):
    conn = self.reader.getconn()
    rows = conn.execute(sql, params or None).fetchall()
    self.reader.putconn(conn)
    return rows


def _write(self, sql, params=()):
    conn = self.writer.getconn()
    with conn.transaction():
        n = conn.execute(sql, params or None).rowcount
    self.writer.putconn(conn)
    return n


Pools.read = _read  # noqa: F821 - from the reference
Pools.write = _write  # noqa: F821
