"""Mistake: make_pool lets the pool grow to 100 connections under load instead of keeping exactly `size`.

Caught by: test_100_concurrent_requests_use_at_most_size_server_connections, test_a_pool_of_size_n_lends_n_connections_and_makes_the_next_wait
"""

from psycopg_pool import ConnectionPool

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def make_pool(dsn, size=5):
    return ConnectionPool(dsn, min_size=1, max_size=100, open=True)
