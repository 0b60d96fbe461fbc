"""A fresh PostgreSQL database for every test, owned by the run's role, and nothing foreign touched.

Each test gets a database the suite creates (from a template that has the extensions the katas
need, or from a seeded template: dojo.seeds) and drops afterwards. Databases the suite did not
create are never dropped; those of runs on this host that are provably gone (their process no
longer exists) are removed when a run starts.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from psycopg import sql

from . import process
from .errors import ServiceUnavailable
from .pg_admin import HOST, HOST_TAG, Admin, mark, new_name, owner_of, with_db
from .pg_roles import RunRole, drop_role

EXTENSIONS = ("pg_stat_statements", "pg_trgm")
INSUFFICIENT_PRIVILEGE = "42501"


class PostgresDatabases:
    """Creates fresh databases on one server for this process, and drops only what it created."""

    def __init__(self, admin_url: str, *, least_privilege: bool = True) -> None:
        self.url = admin_url
        self.admin = Admin(admin_url)
        self.notes: list[str] = []
        self._created: set[str] = set()
        self._base: str | None = None
        self._seeded: dict[str, tuple[object, str]] = {}
        self._role: RunRole | None = None
        self._least_privilege = least_privilege
        sweep_leftovers(self.admin)

    # --- the run's role ----------------------------------------------------------------------------

    @property
    def role(self) -> RunRole | None:
        """The role code under test connects as; None where the given user may not create roles."""
        if self._role is None and self._least_privilege:
            try:
                self._role = RunRole(self.admin)
            except psycopg.Error as exc:
                if exc.sqlstate != INSUFFICIENT_PRIVILEGE:
                    raise
                self._least_privilege = False
                self.notes.append(
                    "the PostgreSQL user of KATAS_POSTGRES_URL may not create roles, so the code under test runs "
                    "with that user's own privileges"
                )
        return self._role

    def dsn(self, name: str) -> str:
        """Conninfo of database `name` for code under test (the run's role)."""
        role = self.role
        return role.dsn(self.url, name) if role else with_db(self.url, name)

    def admin_dsn(self, name: str) -> str:
        """Conninfo of database `name` for the harness itself (never handed to code under test)."""
        return with_db(self.url, name)

    # --- databases ---------------------------------------------------------------------------------

    def _create(self, name: str, template: str | None, owner: str | None = None) -> None:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        if owner:
            stmt += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        self.admin.execute(stmt)
        self._created.add(name)
        self.admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(mark())))

    def _base_template(self) -> str:
        """An empty database with the extensions every kata may use."""
        if self._base is None:
            name = new_name("e")
            self._create(name, None)
            with psycopg.connect(self.admin_dsn(name), autocommit=True) as conn:
                for ext in EXTENSIONS:
                    try:
                        conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext)))
                    except psycopg.Error as exc:
                        raise ServiceUnavailable(
                            f"PostgreSQL at {self.url} cannot create the {ext} extension the katas use "
                            f"({str(exc).strip().splitlines()[0]}): install the server's contrib package, "
                            "or use the embedded server."
                        ) from None
            self._disallow_connections(name)
            self._base = name
        return self._base

    def _disallow_connections(self, name: str) -> None:
        """A template nobody connects to can be copied at any time."""
        self.admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(name)))

    def seeded_template(self, seed: object) -> str:
        """The database `seed` (a dojo.seeds.Seed) built once in this process, as the run's role."""
        key = seed.name  # type: ignore[attr-defined]
        known = self._seeded.get(key)
        if known is not None:
            if known[0] != seed:
                raise ValueError(f"two different seeds are both named {key!r}")
            return known[1]
        name = new_name("s")
        role = self.role
        self._create(name, self._base_template(), owner=role.name if role else None)
        with psycopg.connect(self.admin_dsn(name)) as conn:
            if role:
                conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role.name)))
            seed.run(conn)  # type: ignore[attr-defined]
            conn.commit()
            conn.autocommit = True
            if seed.vacuum:  # type: ignore[attr-defined]
                conn.execute("VACUUM (ANALYZE)")
            elif seed.analyze:  # type: ignore[attr-defined]
                conn.execute("ANALYZE")
        self._disallow_connections(name)
        self._seeded[key] = (seed, name)
        return name

    def create(self, seed: object | None = None) -> str:
        """A new database (empty with the extensions, or a copy of `seed`'s): its name."""
        name = new_name("t")
        template = self.seeded_template(seed) if seed is not None else self._base_template()
        role = self.role
        # Since PostgreSQL 15 the public schema belongs to pg_database_owner: the copy's owner.
        self._create(name, template, owner=role.name if role else None)
        return name

    def drop(self, name: str) -> None:
        if name not in self._created:
            raise ValueError(f"refusing to drop {name}: the suite did not create it")
        self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self._created.discard(name)

    def close(self) -> None:
        for name in sorted(self._created):
            try:
                self.drop(name)
            except psycopg.Error as exc:
                self.notes.append(f"could not drop {name}: {str(exc).strip().splitlines()[0]}")
        if self._role is not None:
            try:
                self._role.drop()
            except psycopg.Error as exc:  # something outside the suite's databases depends on it
                self.notes.append(f"could not drop role {self._role.name}: {str(exc).strip().splitlines()[0]}")
            self._role = None
        self.admin.close()


def suite_objects(admin: Admin) -> list[tuple[str, str, str, int]]:
    """(kind, name, host, pid) of every database and role the suite created on this server."""
    rows = admin.execute(
        "SELECT 'database', datname, shobj_description(oid, 'pg_database') FROM pg_database "
        "UNION ALL SELECT 'role', rolname, shobj_description(oid, 'pg_authid') FROM pg_roles"
    )
    found = []
    for kind, name, comment in rows:
        owner = owner_of(comment)
        if owner is not None:
            found.append((kind, name, *owner))
    return found


def is_gone(host: str, pid: int) -> bool:
    """Provably gone: a run of this host whose process no longer exists."""
    return host == HOST and not process.alive(pid)


def _drop_where(admin: Admin, doomed: Callable[[str, int], bool]) -> list[str]:
    """Drop the suite's databases, then roles, whose (host, pid) is `doomed`; their names."""
    dropped = []
    for kind, name, host, pid in sorted(suite_objects(admin)):  # databases before roles
        if not doomed(host, pid):
            continue
        try:
            if kind == "database":
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            else:
                drop_role(admin, name)
            dropped.append(name)
        except psycopg.Error:
            continue  # another run is sweeping it at the same moment, or it still owns something
    return dropped


def drop_run(admin: Admin, pid: int) -> list[str]:
    """Drop what a run of this host that we stopped ourselves (process `pid`) left behind."""
    return _drop_where(admin, lambda host, owner: host == HOST and owner == pid)


def sweep_leftovers(admin: Admin, everything: bool = False) -> list[str]:
    """Drop what runs that are provably gone left behind; `everything`: what any run left, except
    runs still going on this host (this one included). Replication slots of standbys of runs of
    this host that are gone go too: a forgotten slot keeps the primary's WAL for ever."""
    slots = [
        name
        for (name,) in admin.execute(
            "SELECT slot_name FROM pg_replication_slots WHERE NOT active AND slot_name LIKE %s",
            (f"katas_{HOST_TAG}_%",),
        )
        if name.split("_")[2].isdigit() and not process.alive(int(name.split("_")[2]))
    ]
    for name in slots:
        admin.execute("SELECT pg_drop_replication_slot(%s)", (name,))
    if everything:
        return slots + _drop_where(admin, lambda host, pid: not (host == HOST and process.alive(pid)))
    return slots + _drop_where(admin, is_gone)
