"""Mistake: each pool may grow to 100 connections (sized like max_connections), so a burst of requests becomes a burst of server sessions.

Caught by: test_pools_are_open_capped_at_pool_size_and_recycled, test_100_concurrent_requests_never_hold_more_than_the_pool_size
"""

from psycopg_pool import ConnectionPool

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def _pool(dsn, size, name):
    return ConnectionPool(
        dsn,
        name=name,
        min_size=1,
        max_size=100,
        kwargs={"autocommit": True, "prepare_threshold": None},
        check=ConnectionPool.check_connection,
        reset=_forget_the_session,  # noqa: F821 - from the reference
        max_lifetime=MAX_LIFETIME_S,  # noqa: F821
        open=True,
    )
