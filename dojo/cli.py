"""The `dojo` command: argument parsing and dispatch. Each command lives in its own module."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from .errors import DojoError, UsageError

COMMANDS = {
    "list": "every kata with its state and the level reached (instant: reads recorded results)",
    "next": "run the first unfinished kata: its first failing test, the lesson, the hint",
    "hint": "the kata's next hint (hint 1, then 2, …)",
    "watch": "re-run a kata on every save, servers kept warm (Ctrl-C to stop)",
    "compare": "your code and the reference, test by test (the code once you pass, or --force)",
    "reset": "put back the untouched stub (asks first; your version is kept in .dojo/backup/)",
    "bench": "the evidence tests: what the patterns buy, measured here, next to the POC claims",
    "grade": "points per kata by level; --json (GitHub Classroom format), --junit",
    "up": "start Redis and PostgreSQL and keep them running between runs",
    "down": "stop the servers `dojo up` started",
    "status": "show the servers `dojo up` started",
}


def _impl(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--impl",
        default=os.environ.get("KATAS_IMPL") or "katas",
        help="code to run: katas (yours, default), solutions (the reference), or a directory (env KATAS_IMPL)",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="dojo",
        description="System Design Katas: learn backend patterns against real Redis and PostgreSQL.",
        epilog="Kata names are forgiving: 3, 03, lock and 03_lock all name the same kata.",
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    p = {name: sub.add_parser(name, help=text, description=text) for name, text in COMMANDS.items()}
    _impl(p["list"])
    _impl(p["next"])
    p["hint"].add_argument("kata")
    p["hint"].add_argument("number", nargs="?", type=int, help="show this hint (default: the next one)")
    p["hint"].add_argument("--all", action="store_true", help="show every hint seen so far")
    p["watch"].add_argument("kata", nargs="?", help="the kata to watch (default: follow the first unfinished one)")
    _impl(p["watch"])
    p["compare"].add_argument("kata")
    p["compare"].add_argument("--force", action="store_true", help="show the reference code even before you pass")
    _impl(p["compare"])
    p["reset"].add_argument("kata")
    p["reset"].add_argument("--yes", "-y", action="store_true", help="do not ask before discarding your changes")
    p["bench"].add_argument("katas", nargs="*", metavar="KATA", help="default: every kata with evidence tests")
    p["bench"].add_argument("--markdown", action="store_true", help="print a Markdown table")
    _impl(p["bench"])
    g = p["grade"]
    g.add_argument("katas", nargs="*", metavar="KATA", help="default: every available kata")
    _impl(g)
    g.add_argument("--json", type=Path, metavar="FILE", help="write GitHub Classroom's autograding result JSON")
    g.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    g.add_argument("--points", type=float, default=10, help="points per kata (default 10), shared 3:3:2:2 by level")
    g.add_argument("--timeout", type=float, default=20, help="seconds a test may run (default 20)")
    g.add_argument("--kata-timeout", type=float, default=300, help="seconds a whole kata may run (default 300)")
    g.add_argument(
        "--github-output", action="store_true", help="append result=<base64 JSON> to $GITHUB_OUTPUT (for the reporter)"
    )
    p["up"].add_argument("--only", choices=("redis", "postgres"), help="start just this server")
    return top


def dispatch(args: argparse.Namespace) -> int:
    from . import katas as catalog

    root = catalog.project_root()
    if args.command in ("up", "down", "status"):
        from . import up

        return {
            "up": lambda: up.cmd_up(root, args.only),
            "down": lambda: up.cmd_down(root),
            "status": lambda: up.cmd_status(root),
        }[args.command]()
    katas = catalog.load(root)
    impl_spec = getattr(args, "impl", "katas")
    if impl_spec not in ("katas", "solutions"):
        from .progress import impl_label

        impl_spec = impl_label(impl_spec, root)  # an absolute directory, checked once here
    if args.command == "list":
        from .progress import show_list

        return show_list(root, katas, impl_spec)
    if args.command == "next":
        from .next_kata import cmd_next

        return cmd_next(root, katas, impl_spec)
    if args.command == "hint":
        from .hint_cmd import cmd_hint

        return cmd_hint(root, catalog.require_available(catalog.find(katas, args.kata)), args.number, args.all)
    if args.command == "watch":
        from .watch import cmd_watch

        chosen = catalog.require_available(catalog.find(katas, args.kata)) if args.kata else None
        return cmd_watch(root, katas, chosen, impl_spec)
    if args.command == "compare":
        from .compare import cmd_compare

        return cmd_compare(root, catalog.require_available(catalog.find(katas, args.kata)), impl_spec, args.force)
    if args.command == "reset":
        from .reset import cmd_reset

        return cmd_reset(root, catalog.require_available(catalog.find(katas, args.kata)), args.yes)
    if args.command == "bench":
        from .bench import cmd_bench

        return cmd_bench(root, catalog.select(katas, args.katas), impl_spec, args.markdown)
    if args.command == "grade":
        from .grade import cmd_grade

        for name, value in (
            ("--points", args.points),
            ("--timeout", args.timeout),
            ("--kata-timeout", args.kata_timeout),
        ):
            if not value > 0:
                raise UsageError(f"{name} must be a positive number, not {value:g}.")
        return cmd_grade(
            root,
            catalog.select(katas, args.katas),
            impl_spec,
            points=args.points,
            timeout_s=args.timeout,
            kata_timeout_s=args.kata_timeout,
            json_path=args.json,
            junit_path=args.junit,
            github_output=args.github_output,
        )
    raise UsageError(f"Unknown command {args.command!r}.")


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
    from .console import err

    try:
        return dispatch(args)
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
