"""Mistake: no health check on checkout, so a connection that died while idle in the pool is handed to a request.

Caught by: test_a_connection_killed_while_idle_in_the_pool_is_replaced_on_checkout
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
        reset=_forget_the_session,  # noqa: F821 - from the reference
        max_lifetime=MAX_LIFETIME_S,  # noqa: F821
        open=True,
    )
