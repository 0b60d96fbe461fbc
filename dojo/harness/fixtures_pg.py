"""PostgreSQL fixtures: a fresh database per test, and more databases on demand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..services import Servers


@pytest.fixture(scope="session")
def _postgres_databases(dojo_servers: Servers) -> Iterator[Any]:
    from ..services.pg_isolation import PostgresDatabases

    dbs = PostgresDatabases(dojo_servers.url("postgres"))
    yield dbs
    dbs.close()


@pytest.fixture
def pg_dsn(_postgres_databases: Any) -> Iterator[str]:
    """Conninfo of a fresh PostgreSQL database for this test (dropped afterwards)."""
    dsn = _postgres_databases.create()
    yield dsn
    _postgres_databases.drop(dsn)


@pytest.fixture(scope="module")
def module_pg_dsn(_postgres_databases: Any) -> Iterator[str]:
    """A fresh PostgreSQL database shared by one test module (for costly seed data); dropped afterwards.

    Tests sharing it isolate themselves, e.g. with a schema each.
    """
    dsn = _postgres_databases.create()
    yield dsn
    _postgres_databases.drop(dsn)


@pytest.fixture
def conn(pg_dsn: str) -> Iterator[Any]:
    """A psycopg Connection to the test's own database: autocommit off, default row factory."""
    import psycopg

    with psycopg.connect(pg_dsn) as connection:
        yield connection
