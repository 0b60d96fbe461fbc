"""A test that leaves a thread running fails itself, with a sentence naming the thread.

A thread that outlives its test keeps writing into the next test's database (redis-py
reconnects after a close), so the next, innocent test fails; a non-daemon thread also keeps
pytest from exiting. Threads alive after a test's teardown that were not alive before its
setup get `GRACE_S` to finish; those still running fail the test's teardown. Threads the
harness owns for longer than one test are marked with `harness_owned(thread)`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

import pytest

GRACE_S = 2.0
_BEFORE = pytest.StashKey[set[threading.Thread]]()
RETIRE = pytest.StashKey[list[threading.Event]]()
"""Events set once a test's leak check is done: its Redis clients may then no longer reconnect."""


def harness_owned(thread: threading.Thread) -> threading.Thread:
    """Exempt a thread that the harness keeps for a whole module or session."""
    thread._dojo_owned = True  # type: ignore[attr-defined]
    return thread


class LeakedThread(AssertionError):
    """The test ended with threads of its own still running."""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    item.stash[_BEFORE] = set(threading.enumerate())
    return (yield)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    result = yield
    before = item.stash.get(_BEFORE, None)
    leaked = left_running(before) if before is not None else []
    for event in item.stash.get(RETIRE, []):
        event.set()  # a thread left behind cannot write into the next test's database
    if leaked:
        names = ", ".join(describe(t) for t in leaked[:5]) + (f" and {len(leaked) - 5} more" if len(leaked) > 5 else "")
        raise LeakedThread(
            f"this test left {len(leaked)} thread(s) running after it ended ({names}): stop and join every "
            "thread the code starts before returning (a stop() that joins, or a finally), or it keeps "
            "working on after its test and disturbs the next one."
        )
    return result


def left_running(before: set[threading.Thread], grace_s: float = GRACE_S) -> list[threading.Thread]:
    """Threads started since `before` that are still alive after up to `grace_s` of waiting."""
    deadline = time.monotonic() + grace_s
    leaked = []
    for thread in threading.enumerate():
        if thread in before or getattr(thread, "_dojo_owned", False) or thread is threading.current_thread():
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            leaked.append(thread)
    return leaked


def describe(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    where = getattr(target, "__qualname__", None)
    return f"{thread.name!r}" + (f" running {where}()" if where and where not in thread.name else "")


_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """A non-daemon thread left behind would keep the interpreter from exiting for ever: the run
    is over (the test that started it has failed, naming it), so end the process now."""
    stuck = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if not stuck or hasattr(config, "workerinput"):
        return
    import os
    import sys

    names = ", ".join(describe(t) for t in stuck[:3])
    sys.stderr.write(f"dojo: ending the run although {len(stuck)} thread(s) still run ({names}).\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(config.stash.get(_EXIT_STATUS, 1))
