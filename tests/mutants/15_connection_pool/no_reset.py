"""Mistake: connections go back to the pool as the request left them: a SET made by one request is seen by the next.

Caught by: test_a_setting_made_by_one_request_is_not_seen_by_the_next
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
        kwargs={"autocommit": True, "prepare_threshold": None},
        check=ConnectionPool.check_connection,
        max_lifetime=MAX_LIFETIME_S,  # noqa: F821 - from the reference
        open=True,
    )
