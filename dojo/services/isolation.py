"""A clean Redis database and a fresh PostgreSQL database for every test, and nothing else touched.

Redis: each test process uses one database number (the URL's, plus the xdist worker index).
It must be empty when a test starts; after the test it is flushed, because everything in it was
written during the test. A database that already holds keys is somebody else's: the suite
refuses it and flushes nothing.

PostgreSQL: each test gets a database the suite creates (named katas_t<pid>_<n>, from a
template that has the extensions later katas need) and drops afterwards. Databases the suite
did not create are never dropped.
"""

from __future__ import annotations

import itertools
import os
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

from .errors import ServiceUnavailable

EXTENSIONS = ("pg_stat_statements", "pg_trgm")
COMMENT = "created by the system-design-katas test suite; dropped when its test ends"


class ForeignData(ServiceUnavailable):
    """The Redis database the suite was pointed at holds keys the suite did not write."""


def redis_db_url(server_url: str, offset: int) -> str:
    """The server URL with its database number moved up by `offset` (one per xdist worker)."""
    parts = urlsplit(server_url)
    base = int(parts.path.strip("/") or 0)
    db = base + offset
    if db > 15:
        raise ServiceUnavailable(
            f"Redis database {db} is out of range: use a lower database number in the Redis URL, or fewer workers."
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


class RedisDatabase:
    """One Redis database owned by this test process for the length of the run."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = redis.Redis.from_url(url, decode_responses=True)
        self.db = self.admin.connection_pool.connection_kwargs.get("db", 0)

    def ensure_empty(self) -> None:
        """Called before each test: refuse (and leave alone) a database holding foreign keys."""
        size = self.admin.dbsize()
        if size:
            sample = ", ".join(self.admin.scan(count=3)[1][:3])
            raise ForeignData(
                f"Redis database {self.db} at {self.url} already holds {size} key(s) the suite did not write "
                f"(e.g. {sample}); nothing was deleted. Point KATAS_REDIS_URL at an empty database number."
            )

    def flush(self) -> None:
        """Called after each test: everything here was written during the test."""
        self.admin.flushdb()

    def close(self) -> None:
        self.admin.close()


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
