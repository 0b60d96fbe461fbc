"""Roles: the one code under test connects as (no superuser powers), and roles a contract names.

The run's role owns the test's databases and can do what the katas need there (tables, indexes,
functions, triggers, views, VACUUM on its own tables); it cannot drop other databases, change
server settings (ALTER SYSTEM), end other roles' sessions or read other roles' data. The harness
does its admin work on a connection of its own.
"""

from __future__ import annotations

import secrets

import psycopg
from psycopg import sql

from .pg_admin import Admin, mark, new_name, with_db

DUPLICATE = ("42710", "23505")  # duplicate_object; unique_violation when two sessions create at once


class RunRole:
    """A login role of this process's own: created on first use, dropped when the run ends."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.name = new_name("r")
        self.password = secrets.token_urlsafe(18)
        admin.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            ).format(sql.Identifier(self.name), sql.Literal(self.password))
        )
        admin.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(self.name), sql.Literal(mark())))

    def dsn(self, url: str, dbname: str) -> str:
        """Conninfo of `dbname` on `url`'s server, as this role."""
        return with_db(url, dbname, user=self.name, password=self.password)

    def drop(self) -> None:
        drop_role(self.admin, self.name)


def drop_role(admin: Admin, name: str) -> None:
    """Drop a role of the suite: what it still owns in the admin database goes with it."""
    ident = sql.Identifier(name)
    admin.execute(sql.SQL("DROP OWNED BY {}").format(ident))
    admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(ident))


def ensure_login_role(admin: Admin, name: str) -> None:
    """A login role `name` without privileges (as a contract names it, e.g. `app_user`), created
    if missing; safe when two workers ask at once. It is granted nothing outside the test's own
    databases, so once those are dropped it holds nothing."""
    try:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        if exc.sqlstate not in DUPLICATE:
            raise


def grant_membership(admin: Admin, role: str, member: str) -> None:
    """Let `member` `SET ROLE role` (tests act as `app_user` from the run's own connection)."""
    admin.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(member)))
