"""Mistake: make_pool builds the pool with open=False and never opens it.

Caught by: test_make_pool_gives_an_open_pool_on_the_database
"""

from psycopg_pool import ConnectionPool

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def make_pool(dsn, size=5):
    return ConnectionPool(dsn, min_size=size, max_size=size, open=False)
