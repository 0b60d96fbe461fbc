"""What every command starts from: the project, its katas, and the implementation asked for."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .. import catalog
from ..catalog import Kata


@dataclass
class Context:
    root: Path
    args: argparse.Namespace = field(default_factory=argparse.Namespace)

    @cached_property
    def katas(self) -> list[Kata]:
        return catalog.load(self.root)

    @cached_property
    def impl(self) -> str:
        """katas, solutions, or an absolute directory (checked once here)."""
        from .progress import impl_label

        spec = getattr(self.args, "impl", None) or "katas"
        return spec if spec in ("katas", "solutions") else impl_label(spec, self.root)

    def kata(self, name: str) -> Kata:
        """The available kata `name` names (`3`, `03`, `lock`, `03_lock`)."""
        return catalog.require_available(catalog.find(self.katas, name))

    def chosen(self, names: list[str] | None) -> list[Kata]:
        return catalog.select(self.katas, names)


def add_impl(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--impl",
        default=os.environ.get("KATAS_IMPL") or "katas",
        help="code to run: katas (yours, default), solutions (the reference), or a directory (env KATAS_IMPL)",
    )
