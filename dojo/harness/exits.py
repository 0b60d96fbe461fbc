"""Code under test that ends the test process (`os._exit`) is named: its test fails with a sentence,
the results are recorded, and the run ends as the code asked.

A kill by a signal cannot be caught; dojo's own runs then name the test that was running (the
child run's event log shows which test started without finishing).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator

import pytest

from ..outcomes import FAILED
from .state import DOJO_STATE

_real_exit = os._exit


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    def exit_named(code: int) -> None:
        sentence = (
            f"the code called os._exit({code}) during this test: the test process ended there, "
            "and the tests after it did not run"
        )
        sys.stderr.write(f"\ndojo: {item.nodeid}: {sentence}\n")
        state = item.config.stash.get(DOJO_STATE, None)
        recorder = state.recorder if state is not None else None
        if recorder is not None:
            result = recorder.tests.get(item.nodeid)
            if result is not None:
                result.outcome, result.message = FAILED, sentence
                for listener in recorder.listeners:
                    listener(result)
                try:
                    recorder.write()
                except OSError:
                    pass
        sys.stdout.flush()
        sys.stderr.flush()
        _real_exit(code)

    os._exit = exit_named
    try:
        return (yield)
    finally:
        os._exit = _real_exit
