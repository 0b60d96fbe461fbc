"""PostgreSQL fixtures: a database per test (empty or seeded), more databases, a replica, stepped and
interposed connections, and roles. Code under test always connects as the run's own role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..services import REPLICA, Servers
from .state import TIMELINES


@pytest.fixture(scope="session")
def _postgres_databases(dojo_servers: Servers) -> Iterator[Any]:
    from ..services.pg_isolation import PostgresDatabases

    dbs = PostgresDatabases(dojo_servers.url("postgres"))
    yield dbs
    dbs.close()


def _seed_of(request: pytest.FixtureRequest) -> Any:
    marker = request.node.get_closest_marker("seed")
    return marker.args[0] if marker else None


@pytest.fixture
def pg_dsn(_postgres_databases: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """Conninfo of a fresh PostgreSQL database for this test (a copy of the `seed` marker's tables,
    if the test has one), as the run's role; dropped afterwards."""
    name = _postgres_databases.create(_seed_of(request))
    yield _postgres_databases.dsn(name)
    _postgres_databases.drop(name)


@pytest.fixture(scope="module")
def module_pg_dsn(_postgres_databases: Any) -> Iterator[str]:
    """A fresh PostgreSQL database shared by one test module (for costly seed data); dropped afterwards.

    Tests sharing it isolate themselves, e.g. with a schema each.
    """
    name = _postgres_databases.create()
    yield _postgres_databases.dsn(name)
    _postgres_databases.drop(name)


def _databases_made(_postgres_databases: Any) -> Iterator[Callable[..., str]]:
    names: list[str] = []

    def make(seed: Any = None) -> str:
        names.append(_postgres_databases.create(seed))
        return _postgres_databases.dsn(names[-1])

    yield make
    for name in names:
        _postgres_databases.drop(name)


@pytest.fixture
def make_pg_dsn(_postgres_databases: Any) -> Iterator[Callable[..., str]]:
    """Factory for more databases of this test (shards): make_pg_dsn() or make_pg_dsn(seed=SEED)."""
    yield from _databases_made(_postgres_databases)


@pytest.fixture(scope="module")
def module_make_pg_dsn(_postgres_databases: Any) -> Iterator[Callable[..., str]]:
    """Like make_pg_dsn, for databases a whole test module shares (creating one per test can cost
    seconds on a loaded machine); the module's tests empty them themselves."""
    yield from _databases_made(_postgres_databases)


@pytest.fixture(scope="session")
def pg_admin_dsn(_postgres_databases: Any) -> Callable[[str], str]:
    """pg_admin_dsn(dsn): a superuser conninfo for the same database, for the test's own eyes only
    (every session in pg_stat_activity); never hand it to the code under test."""
    import psycopg

    return lambda dsn: _postgres_databases.admin_dsn(psycopg.conninfo.conninfo_to_dict(dsn)["dbname"])


@pytest.fixture
def conn(pg_dsn: str) -> Iterator[Any]:
    """A psycopg Connection to the test's own database: autocommit off, default row factory."""
    import psycopg

    with psycopg.connect(pg_dsn) as connection:
        yield connection


@pytest.fixture
def pg_admin(pg_dsn: str, _postgres_databases: Any) -> Iterator[Any]:
    """A superuser connection (autocommit) to the test's database, for the test's own use only —
    resetting statistics, pausing a replica, creating roles. Never hand it to the code under test."""
    import psycopg

    dbname = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
    with psycopg.connect(_postgres_databases.admin_dsn(dbname), autocommit=True) as connection:
        yield connection


@pytest.fixture
def pg_role(_postgres_databases: Any) -> str | None:
    """The role code under test connects as (None where the server's user may not create roles)."""
    role = _postgres_databases.role
    return role.name if role else None


@pytest.fixture
def login_role(_postgres_databases: Any) -> Callable[[str], str]:
    """login_role("app_user"): a login role without privileges, as a contract names it; created if
    missing (safe when workers ask at once). The run's role may `SET ROLE` to it."""
    from ..services.pg_roles import ensure_login_role, grant_membership

    def make(name: str) -> str:
        ensure_login_role(_postgres_databases.admin, name)
        role = _postgres_databases.role
        if role is not None:
            grant_membership(_postgres_databases.admin, name, role.name)
        return name

    return make


@pytest.fixture
def pg_steps(pg_dsn: str, _postgres_databases: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Connections stepped statement by statement (dojo.pg_race): pg_steps.connect("A")."""
    import psycopg

    from ..pg_race import Steps

    dbname = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
    steps = Steps(pg_dsn, _postgres_databases.admin_dsn(dbname))
    request.node.stash.setdefault(TIMELINES, []).append(steps.timeline)
    yield steps
    steps.close()


@pytest.fixture
def pg_interposer(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Every connection the code under test opens during the test passes its statements through
    `pg_interposer.hooks` (dojo.pg_race), and is counted: `pg_interposer.statements`."""
    from ..pg_race import interposing

    with interposing() as interposer:
        request.node.stash.setdefault(TIMELINES, []).append(interposer.timeline)
        yield interposer


# --- a streaming replica --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _replica(dojo_servers: Servers, _postgres_databases: Any) -> Iterator[Any]:
    from ..services.pg_replica import Replica

    replica = Replica(_postgres_databases.admin, dojo_servers.url(REPLICA))
    yield replica
    replica.close()


@pytest.fixture
def replica(_replica: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The replica, seen from the harness: catch_up(), pause(), resume(), lag_bytes().

    A test that pauses replay must say so with `@pytest.mark.pauses_replica`: it then has the
    replica to itself (never overlapping another test process's use of a shared replica).
    """
    exclusive = request.node.get_closest_marker("pauses_replica") is not None
    _replica.acquire(exclusive)
    try:
        yield _replica
    finally:
        try:
            if _replica.paused:
                _replica.resume()
        finally:
            _replica.release(exclusive)


@pytest.fixture
def primary_dsn(pg_dsn: str) -> str:
    """The test's own database on the primary (the same as `pg_dsn`)."""
    return pg_dsn


@pytest.fixture
def replica_dsn(pg_dsn: str, replica: Any, _postgres_databases: Any) -> str:
    """The test's own database on the replica, once the replica has replayed its creation."""
    import psycopg

    replica.catch_up()
    params = psycopg.conninfo.conninfo_to_dict(pg_dsn)
    replica_params = psycopg.conninfo.conninfo_to_dict(replica.url)
    return psycopg.conninfo.make_conninfo(
        pg_dsn, host=replica_params.get("host"), port=replica_params.get("port"), dbname=params["dbname"]
    )


@pytest.fixture
def failover_pair() -> Iterator[Any]:
    """A primary and its streaming replica of this test's own (its primary may be stopped):
    .primary_dsn, .replica_dsn, .stop_primary(). About a second and a half to start."""
    from ..services.pg_replica import start_failover_pair

    pair = start_failover_pair()
    yield pair
    pair.close()


@pytest.fixture
def pgbouncer_dsn(pg_dsn: str) -> Iterator[str]:
    """The test's database through a real PgBouncer (transaction pooling, 5 server connections).

    Where no `pgbouncer` binary exists the test is skipped with the reason: mark it
    `@pytest.mark.optional("pgbouncer")` so it is left out of every count there.
    """
    from ..services.pgbouncer import find_pgbouncer, start_pgbouncer

    if find_pgbouncer() is None:
        pytest.skip("no pgbouncer binary here (Debian/Ubuntu: apt install pgbouncer)")
    server, dsn = start_pgbouncer(pg_dsn)
    yield dsn
    server.stop()
