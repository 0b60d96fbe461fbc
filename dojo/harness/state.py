"""The plugin's per-run state, kept in `config.stash` (as pytest-timeout keeps its own)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from ..services import Servers
from .recorder import Recorder


@dataclass
class DojoState:
    root: Path
    impl_spec: str
    impl_root: Path
    levels: set[int] | None
    servers: Servers
    recorder: Recorder | None
    loaded: dict[str, ModuleType] = field(default_factory=dict)


DOJO_STATE = pytest.StashKey[DojoState]()
TIMELINES = pytest.StashKey[list]()
"""Per test: what its clients and connections did (dojo.race.Timeline, or (actor, step) lists),
shown under a failing concurrency test."""


def dojo_state(config: pytest.Config) -> DojoState:
    return config.stash[DOJO_STATE]


def parse_levels(text: str | None) -> set[int] | None:
    """`2` → {2}; `1-3` → {1, 2, 3}; None → every level."""
    if not text:
        return None
    m = re.fullmatch(r"\s*([1-4])\s*(?:-\s*([1-4])\s*)?", text)
    if not m:
        raise pytest.UsageError(f"--level={text}: use a level from 1 to 4, or a range such as 1-3.")
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    return set(range(lo, hi + 1))


def worker_index() -> int:
    """0 for a plain run, N for pytest-xdist's worker gwN: each worker uses its own Redis database."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name[2:]) if name[2:].isdigit() else 0
