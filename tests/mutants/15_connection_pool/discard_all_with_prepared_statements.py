"""Mistake: the pool resets with DISCARD ALL but leaves psycopg's prepared statements on; DISCARD ALL drops them on the server and later requests fail.

Caught by: test_100_concurrent_requests_never_hold_more_than_the_pool_size, test_reads_and_writes_reach_their_own_pools
"""

from psycopg_pool import ConnectionPool

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def _pool(dsn, size, name):
    return ConnectionPool(
        dsn,
        name=name,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True},
        check=ConnectionPool.check_connection,
        reset=_forget_the_session,  # noqa: F821 - from the reference
        max_lifetime=MAX_LIFETIME_S,  # noqa: F821
        open=True,
    )
