"""Fixtures every kata may use: the run's servers, the evidence recorder, the module under test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..measure import Evidence
from ..services import Servers
from .state import dojo_state


@pytest.fixture(scope="session")
def dojo_servers(pytestconfig: pytest.Config) -> Servers:
    """The run's servers (started or found on first use)."""
    return dojo_state(pytestconfig).servers


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Records what a level-4 test measured, shown at the end of the run and by `dojo bench`."""
    return Evidence(records=_Appender(request.node.user_properties))


class _Appender(list):
    """A list whose appends also land in the test report's user_properties."""

    def __init__(self, sink: list) -> None:
        super().__init__()
        self._sink = sink

    def append(self, item: Any) -> None:
        super().append(item)
        self._sink.append(("evidence", item))


@pytest.fixture
def kata_module(request: pytest.FixtureRequest) -> Any:
    """The module under test of the current kata, as loaded from --impl."""
    from .plugin import kata_of

    state = dojo_state(request.config)
    target = kata_of(Path(request.node.path), state.root)
    if target is None:
        raise RuntimeError("kata_module is only for tests in katas/NN_name/")
    return state.loaded[target[0]]
