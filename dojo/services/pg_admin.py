"""The harness's own PostgreSQL connection, and the names and marks of what the suite creates.

Every database and role the suite creates carries a comment naming this host and process
(`katas run <host>:<pid>`), so a later run on the same host can tell the leftovers of a run that
is provably gone (killed, or sabotaged) from those of a run still going, and remove only those.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import socket
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from .errors import ServiceUnavailable

T = TypeVar("T")
HOST = socket.gethostname()
HOST_TAG = hashlib.sha1(HOST.encode()).hexdigest()[:4]
MARK = re.compile(r"^katas run (?P<host>\S+):(?P<pid>\d+)\b")
_counter = itertools.count(1)


def mark(pid: int | None = None) -> str:
    """The comment on everything this process creates."""
    return f"katas run {HOST}:{pid or os.getpid()} — created by the system-design-katas test suite; dropped when done"


def owner_of(comment: str | None) -> tuple[str, int] | None:
    """(host, pid) of the run that created an object, from its comment; None if not the suite's."""
    m = MARK.match(comment or "")
    return (m.group("host"), int(m.group("pid"))) if m else None


def new_name(kind: str) -> str:
    """A name no other run uses: katas_<host tag>_<pid>_<kind><n> (kind: t test, s seed, r role …)."""
    return f"katas_{HOST_TAG}_{os.getpid()}_{kind}{next(_counter)}"


def with_db(url: str, dbname: str, **extra: Any) -> str:
    return psycopg.conninfo.make_conninfo(url, dbname=dbname, **extra)


class Admin:
    """An autocommit superuser connection for the harness alone, reconnected if something ends it.

    Code under test never gets it (it runs as a role of its own); should the connection still
    be lost (a server restart, a learner's pg_terminate_backend on a server given by URL), the next
    call reconnects instead of failing an innocent test.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.Connection | None = None
        self._connect()

    def _connect(self) -> psycopg.Connection:
        try:
            self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise ServiceUnavailable(
                f"Cannot connect to PostgreSQL at {self.url}: {str(exc).strip().splitlines()[-1]}"
            ) from exc
        return self._conn

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """work(connection), once more on a fresh connection if the first one was lost."""
        conn = self._conn if self._conn is not None and not self._conn.closed else self._connect()
        try:
            return work(conn)
        except psycopg.OperationalError:
            if not conn.closed and not conn.broken:
                raise
            return work(self._connect())

    def execute(self, query: Any, params: Any = None) -> list[tuple]:
        def go(conn: psycopg.Connection) -> list[tuple]:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

        return self.run(go)

    @property
    def server_version(self) -> int:
        return self.run(lambda c: c.info.server_version)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)
