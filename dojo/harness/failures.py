"""Failures a learner reads: one teaching sentence and the place, never a wall of traceback.

For a kata's tests, a failing assertion shows its message and the line of the test; an error
raised by the learner's code shows its type, its text and the line of the learner's module
that raised it. Known situations (a stub not written yet, no server, a command the harness
refuses) become one plain sentence naming the fix. `-v` or `--tb=long` shows pytest's full
report instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ..services import ServiceUnavailable

# psycopg's SQLSTATE for "object not in prerequisite state": pg_stat_statements not preloaded.
NOT_IN_PREREQUISITE_STATE = "55000"
INSUFFICIENT_PRIVILEGE = "42501"
# A missing GRANT on the test's own objects is the learner's to fix (kata 22), not a server-wide refusal.
OBJECT_PRIVILEGE = re.compile(r"permission denied for (table|view|relation|schema|sequence|column|materialized view)")


class OneLine:
    """A failure shown as a few plain lines, also in the short summary, instead of a traceback."""

    def __init__(self, text: str, path: str, place: str = "", extra: list[str] | None = None) -> None:
        self.text = text
        self.place = place
        self.extra = extra or []
        self.reprcrash = SimpleNamespace(message=text, path=path, lineno=0)

    def toterminal(self, tw: Any) -> None:
        tw.line(self.text, red=True, bold=True)
        if self.place:
            tw.line(f"  at {self.place}")
        for line in self.extra:
            tw.line(line)

    def __str__(self) -> str:
        return "\n".join([self.text, *([f"  at {self.place}"] if self.place else []), *self.extra])


def rel(path: Path | str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def not_implemented(excinfo: pytest.ExceptionInfo, root: Path) -> str | None:
    """'not implemented yet: acquire() in katas/03_lock/lock.py' for a stub's NotImplementedError."""
    if not excinfo.errisinstance(NotImplementedError):
        return None
    last = _last_frame(excinfo.value.__traceback__)
    if last is None:
        return None
    code = last.tb_frame.f_code
    detail = str(excinfo.value).strip()
    name = getattr(code, "co_qualname", code.co_name)  # ShardedUsers.__init__, not __init__ (3.11+)
    return f"not implemented yet: {name}() in {rel(code.co_filename, root)}" + (f" ({detail})" if detail else "")


def _last_frame(tb: Any) -> Any:
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last


def known_situation(excinfo: pytest.ExceptionInfo, root: Path) -> str | None:
    """A sentence for failures that are not the learner's logic: a stub, no server, a missing preload."""
    line = not_implemented(excinfo, root)
    if line is not None:
        return line
    exc = excinfo.value
    if isinstance(exc, ServiceUnavailable):
        return str(exc)
    if getattr(exc, "sqlstate", None) == NOT_IN_PREREQUISITE_STATE and "pg_stat_statements" in str(exc):
        return (
            "this test reads pg_stat_statements, which this PostgreSQL server does not preload: start it with "
            "shared_preload_libraries=pg_stat_statements (the embedded server and docker-compose.yml do)"
        )
    if type(exc).__name__ == "NoPermissionError":  # redis-py: the run's ACL user refused a command
        from ..services.redis_acl import refusal

        return refusal(str(exc))
    if getattr(exc, "sqlstate", None) == INSUFFICIENT_PRIVILEGE and not OBJECT_PRIVILEGE.search(str(exc)):
        return (
            f"{str(exc).strip().splitlines()[0]}: the code under test runs as a role of the run's own, which owns "
            "only this test's database — server-wide changes (ALTER SYSTEM, other databases, other sessions) are "
            "refused"
        )
    sentence = getattr(exc, "dojo_sentence", None)
    return sentence if isinstance(sentence, str) else None


LOST = {"ConnectionError", "OperationalError", "ConnectionRefusedError", "BrokenPipeError"}


def lost_connection(excinfo: pytest.ExceptionInfo) -> bool:
    """A refused or broken connection (redis-py's ConnectionError, psycopg's OperationalError),
    also inside the group of errors a teardown raises."""
    return _lost(excinfo.value)


def _lost(exc: BaseException) -> bool:
    inner = getattr(exc, "exceptions", None)  # an exception group (Python 3.11+, or the backport)
    if isinstance(inner, (list, tuple)) and inner:
        return all(_lost(e) for e in inner)
    return bool({cls.__name__ for cls in type(exc).__mro__} & LOST)


def sentence_and_place(excinfo: pytest.ExceptionInfo, item: pytest.Item, root: Path) -> tuple[str, str]:
    """The teaching sentence of a failure in a kata test, and where it happened."""
    exc = excinfo.value
    test_file = Path(str(item.path)).resolve()
    entries = list(excinfo.traceback)
    if isinstance(exc, AssertionError):
        text = str(exc)
        message = text.split("\nassert ", 1)[0].strip() if "\nassert " in text else text.strip()
        if text.startswith("assert ") or not message:
            message = text.strip().splitlines()[0] if text.strip() else "assertion failed"
        in_test = [e for e in entries if Path(str(e.path)).resolve() == test_file]
        where = in_test[-1] if in_test else (entries[-1] if entries else None)
    else:
        message = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        outside = [e for e in entries if "site-packages" not in str(e.path) and "/dojo/" not in str(e.path)]
        where = outside[-1] if outside else (entries[-1] if entries else None)
    place = f"{rel(where.path, root)}:{where.lineno + 1}" if where is not None else ""
    if where is not None and where.name and where.name != "<module>":
        place += f" in {where.name}()"
    return message, place


def wants_full_report(config: pytest.Config) -> bool:
    return config.get_verbosity() > 0 or config.getoption("tbstyle", "auto") == "long"
