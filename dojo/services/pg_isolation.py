"""A fresh PostgreSQL database for every test, and no other database touched.

Each test gets a database the suite creates (named katas_t<pid>_<n>, from a template that has
the extensions later katas need) and drops afterwards. Databases the suite did not create are
never dropped.
"""

from __future__ import annotations

import itertools
import os

import psycopg
from psycopg import sql

from .errors import ServiceUnavailable

EXTENSIONS = ("pg_stat_statements", "pg_trgm")
COMMENT = "created by the system-design-katas test suite; dropped when its test ends"


def _with_dbname(url: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(url, dbname=dbname)


class PostgresDatabases:
    """Creates a fresh database per test on one server, and drops only what it created."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._counter = itertools.count(1)
        self._created: set[str] = set()
        self._template: str | None = None
        self.extensions: tuple[str, ...] = ()
        try:
            self._admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable(
                f"Cannot connect to PostgreSQL at {admin_url}: {str(exc).strip().splitlines()[-1]}"
            ) from exc

    def _name(self, kind: str) -> str:
        return f"katas_{kind}{os.getpid()}_{next(self._counter)}"

    def _create(self, name: str, template: str | None) -> None:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        self._admin.execute(stmt)
        self._created.add(name)
        self._admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(COMMENT)))

    def _ensure_template(self) -> str:
        if self._template is None:
            name = self._name("tpl")
            self._create(name, None)
            with psycopg.connect(_with_dbname(self.admin_url, name), autocommit=True) as conn:
                available = []
                for ext in EXTENSIONS:
                    try:
                        conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext)))
                        available.append(ext)
                    except psycopg.Error:
                        pass
                self.extensions = tuple(available)
            self._template = name
        return self._template

    def create(self) -> str:
        """A new empty database (with the extensions), as a conninfo string."""
        name = self._name("t")
        self._create(name, self._ensure_template())
        return _with_dbname(self.admin_url, name)

    def drop(self, dsn: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
        if name not in self._created:
            raise ValueError(f"refusing to drop {name}: the suite did not create it")
        self._admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        self._created.discard(name)

    def close(self) -> None:
        for name in sorted(self._created):
            try:
                self._admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            except psycopg.Error:
                pass
        self._created.clear()
        self._admin.close()
