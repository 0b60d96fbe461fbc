"""Mutants: known-wrong implementations, each the reference with one classic mistake.

A mutant file starts from the reference and overrides what it gets wrong:

    '''Mistake: release deletes the key without checking the token.
    Caught by: test_an_expired_holder_cannot_release_the_new_owners_lock
    '''
    from dojo.authoring.mutants import inherit
    inherit(globals(), "03_lock/lock.py")

    def release(r, name, token):
        return bool(r.delete(name))

`inherit` runs the reference's source in the mutant's own namespace, so the reference's other
functions call the mutant's overrides (a mutant `release` is also what `locked` uses).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from ..catalog import PACKAGE_ROOT as ROOT

CAUGHT_BY = re.compile(r"^Caught by:\s*(.+)$", re.MULTILINE)


def inherit(namespace: dict, reference: str) -> None:
    """Execute solutions/<reference> in `namespace` (a mutant module's globals())."""
    path = ROOT / "solutions" / reference
    code = compile(path.read_text(), str(path), "exec")
    exec(code, namespace)  # noqa: S102 - our own reference source


@dataclass(frozen=True)
class Mutant:
    path: Path
    kata: str
    mistake: str
    caught_by: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.kata}/{self.path.stem}"


def describe(path: Path) -> Mutant:
    """Read a mutant's docstring: its first line names the mistake, `Caught by:` the test(s)."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    caught = CAUGHT_BY.search(doc)
    tests = tuple(t.strip() for t in caught.group(1).split(",")) if caught else ()
    mistake = doc.strip().splitlines()[0].removeprefix("Mistake:").strip() if doc.strip() else ""
    return Mutant(path, path.parent.name, mistake, tests)


def all_mutants(root: Path = ROOT) -> list[Mutant]:
    return [describe(p) for p in sorted((root / "tests" / "mutants").glob("[0-9][0-9]_*/*.py"))]
