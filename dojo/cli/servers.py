"""`dojo up` / `down` / `status`: embedded servers kept running between test runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.table import Table
from rich.text import Text

from ..runs import warm
from ..services import ENV_URL, SERVICES
from .console import out
from .context import Context
from .progress import age


def _table(servers: list[warm.ServerState]) -> Table:
    t = Table(show_edge=False, pad_edge=False)
    for name in ("Server", "URL", "PID", "State", "Started"):
        t.add_column(name, no_wrap=True)
    for s in servers:
        state = Text("running", "ok") if s.running else Text("stopped", "bad")
        t.add_row(s.service, s.url, str(s.pid), state, age(s.since))
    return t


def _overrides_note() -> Text | None:
    given = [ENV_URL[s] for s in SERVICES if os.environ.get(ENV_URL[s])]
    if os.environ.get("KATAS_SERVICES"):
        given.insert(0, "KATAS_SERVICES")
    if not given:
        return None
    return Text(f"Note: {', '.join(given)} is set in this shell; tests run here use that first.", "warn")


def cmd_up(root: Path, only: str | None) -> int:
    services = (only,) if only else SERVICES
    servers, started = warm.up(root, services)
    console = out()
    console.print(_table([s for s in servers if s.service in services]))
    if started:
        console.print(f"Started {', '.join(started)}; every test run here uses them until `dojo down`.")
    else:
        console.print("Already running; every test run here uses them until `dojo down`.")
    note = _overrides_note()
    if note:
        console.print(note)
    return 0


def cmd_down(root: Path) -> int:
    stopped = warm.down(root)
    console = out()
    if stopped:
        console.print(f"Stopped {', '.join(s.service for s in stopped)}; tests start their own servers again.")
    else:
        console.print("No server kept up by `dojo up` was running; nothing to stop.")
    return 0


def cmd_status(root: Path) -> int:
    servers = warm.status(root)
    console = out()
    if not servers:
        console.print("No servers kept up: each test run starts its own. `dojo up` keeps them running between runs.")
    else:
        console.print(_table(servers))
        if not any(s.running for s in servers):
            console.print("They are no longer running: `dojo up` starts them again.")
    note = _overrides_note()
    if note:
        console.print(note)
    return 0


HELP = {
    "up": "start Redis and PostgreSQL and keep them running between runs",
    "down": "stop the servers `dojo up` started",
    "status": "show the servers `dojo up` started",
}


def add_arguments(p: argparse.ArgumentParser, command: str) -> None:
    if command == "up":
        p.add_argument("--only", choices=("redis", "postgres"), help="start just this server")


def main(ctx: Context) -> int:
    command = ctx.args.command
    if command == "up":
        return cmd_up(ctx.root, ctx.args.only)
    return cmd_down(ctx.root) if command == "down" else cmd_status(ctx.root)
