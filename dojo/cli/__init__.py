"""The `dojo` command: a dispatch table, and one module per command.

Each command module has `HELP`, `add_arguments(parser)` and `main(ctx) -> int` (the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

from ..catalog import project_root
from ..errors import DojoError
from .context import Context

# command → module (in dojo/cli/), in the order `dojo --help` lists them
COMMANDS = {
    "list": "list_katas",
    "next": "next_kata",
    "hint": "hint",
    "watch": "watch",
    "compare": "compare",
    "reset": "reset",
    "bench": "bench",
    "grade": "grade",
    "classroom": "classroom",
    "up": "servers",
    "down": "servers",
    "status": "servers",
    "clean": "clean",
}


def _module(command: str):  # noqa: ANN202 - a command module
    return importlib.import_module(f"{__name__}.{COMMANDS[command]}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="dojo",
        description="System Design Katas: learn backend patterns against real Redis and PostgreSQL.",
        epilog="Kata names are forgiving: 3, 03, lock and 03_lock all name the same kata.",
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        module = _module(command)
        text = module.HELP[command] if isinstance(module.HELP, dict) else module.HELP
        p = sub.add_parser(command, help=text, description=text)
        module.add_arguments(p, command)
    return top


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear sentence for every problem, never a traceback."""
    args = parser().parse_args(argv)
    if not args.command:
        parser().print_help()
        return 0
    # Ctrl-C even where the shell started us with SIGINT ignored (a background job), and the
    # same clean-up (servers, child runs) on SIGTERM and a closed terminal.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    from ..services import process
    from .console import err

    process.adopt_orphans()  # a child run's abandoned processes come back to us, to be ended
    try:
        return _module(args.command).main(Context(project_root(), args))
    except DojoError as exc:
        err().print(f"dojo: {exc}", markup=False, highlight=False)
        return exc.code
    except KeyboardInterrupt:
        err().print("dojo: interrupted.", markup=False)
        return 130
    except BrokenPipeError:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        if os.environ.get("DOJO_DEBUG"):
            raise
        err().print(
            f"dojo: unexpected error: {type(exc).__name__}: {exc} (set DOJO_DEBUG=1 to see the traceback).",
            markup=False,
        )
        return 1
