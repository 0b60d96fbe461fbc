"""Correct pools written unlike the reference: transactional connections borrowed with getconn/putconn in a
finally, explicit commit and rollback, RESET ALL and RESET ROLE on return, a hand-written liveness check, fixed-size pools."""

from contextlib import contextmanager

from psycopg_pool import ConnectionPool


def pool_size(cores, spindles=1):
    return 2 * cores + spindles


def _alive(conn):
    conn.execute("SELECT 1")
    conn.rollback()


def _clean(conn):
    conn.rollback()
    conn.execute("RESET ALL")
    conn.execute("RESET ROLE")  # RESET ALL leaves a SET ROLE in place
    conn.commit()


class Pools:
    def __init__(self, write_dsn, read_dsn, cores):
        n = pool_size(cores)
        options = dict(
            min_size=n,
            max_size=n,
            check=_alive,
            reset=_clean,
            max_lifetime=600.0,
            kwargs={"prepare_threshold": None},
            open=False,
        )
        self.writer = ConnectionPool(write_dsn, name="primary", **options)
        self.reader = ConnectionPool(read_dsn, name="replica", **options)
        self.writer.open(wait=True, timeout=30)
        self.reader.open(wait=True, timeout=30)

    @contextmanager
    def _borrow(self, pool):
        conn = pool.getconn()
        try:
            yield conn
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        finally:
            pool.putconn(conn)

    def read(self, sql, params=()):
        with self._borrow(self.reader) as conn:
            rows = conn.execute(sql, params if params else None).fetchall()
            conn.rollback()  # a read leaves no transaction open
            return rows

    def write(self, sql, params=()):
        with self._borrow(self.writer) as conn:
            count = conn.execute(sql, params if params else None).rowcount
            conn.commit()
            return count

    def stats(self):
        return {name: getattr(self, name).get_stats() for name in ("reader", "writer")}

    def close(self):
        for pool in (self.writer, self.reader):
            pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
