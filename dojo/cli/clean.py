"""`dojo clean`: the databases, roles and Redis users test runs left on a server, listed and removed.

Runs that end normally remove what they created, and every run removes the leftovers of runs on
this machine whose process is gone. What is left — runs killed on another machine sharing the
server, or a server nobody ran tests against since — is listed here, and removed with --yes.
"""

from __future__ import annotations

import argparse
import os

from rich.table import Table
from rich.text import Text

from ..errors import DojoError
from ..services import ENV_URL, process, resident
from ..services.pg_admin import HOST
from .console import out
from .context import Context

HELP = "list (and with --yes remove) what test runs left on the servers: databases, roles, Redis users"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    p.add_argument(
        "--postgres-url", default=None, help="the PostgreSQL server (default: KATAS_POSTGRES_URL, or dojo up's)"
    )
    p.add_argument("--redis-url", default=None, help="the Redis server (default: KATAS_REDIS_URL, or dojo up's)")
    p.add_argument("--yes", "-y", action="store_true", help="remove every leftover not of a run still going here")


def _state(host: str, pid: int) -> str:
    if host != HOST:
        return f"run on {host}"
    return "running" if process.alive(pid) else "gone"


def main(ctx: Context) -> int:
    kept = resident.read(ctx.root)
    pg = ctx.args.postgres_url or os.environ.get(ENV_URL["postgres"]) or kept.get("postgres")
    rd = ctx.args.redis_url or os.environ.get(ENV_URL["redis"]) or kept.get("redis")
    if not pg and not rd:
        raise DojoError(
            "No server to clean: give --postgres-url / --redis-url (or set KATAS_POSTGRES_URL / KATAS_REDIS_URL). "
            "Servers the tests start themselves vanish with their run."
        )
    table = Table(show_edge=False, pad_edge=False)
    for name in ("Server", "Kind", "Name", "Created by", "State"):
        table.add_column(name, no_wrap=True)
    removed = 0
    if pg:
        removed += _postgres(pg, ctx.args.yes, table)
    if rd:
        removed += _redis(rd, ctx.args.yes, table)
    console = out()
    if table.row_count:
        console.print(table)
    else:
        console.print("Nothing left behind by test runs.")
    if removed:
        console.print(Text(f"Removed {removed}.", "ok"))
    elif table.row_count and not ctx.args.yes:
        console.print("`dojo clean --yes` removes all but those of runs still going on this machine.")
    return 0


def _postgres(url: str, yes: bool, table: Table) -> int:
    from ..services.pg_admin import Admin
    from ..services.pg_isolation import suite_objects, sweep_leftovers

    admin = Admin(url)
    try:
        removed = len(sweep_leftovers(admin, everything=yes))
        rows = suite_objects(admin)
        for kind, name, host, pid in rows:
            table.add_row("postgres", kind, name, f"{host}:{pid}", _state(host, pid))
        return removed
    finally:
        admin.close()


def _redis(url: str, yes: bool, table: Table) -> int:
    import redis

    from ..services.redis_acl import parse, remove, sweep

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        removed = len(sweep(client))
        for name in client.acl_users():
            user = parse(name)
            if user is None:
                continue
            going = user.mine and not user.gone
            if yes and not going:
                remove(client, name, user)
                removed += 1
                continue
            where = f"{HOST if user.mine else 'another machine'}:{user.pid}"
            what = "user" if user.db is None else f"user of db {user.db}"
            table.add_row("redis", what, name, where, "running" if going else "gone")
        return removed
    finally:
        client.close()
