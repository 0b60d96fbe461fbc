"""Load the module under test from katas/, solutions/ or any directory, as a real module."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from ..catalog import PACKAGE_ROOT

CHOICES_HELP = "--impl=katas (your code, the default), --impl=solutions (the reference), or --impl=DIR"


class ImplError(Exception):
    """The implementation could not be found or loaded; str(self) is one plain sentence."""


def impl_root(spec: str, project: Path, source: str = "--impl") -> Path:
    """The directory that --impl / KATAS_IMPL names (`source` says which, for the message)."""
    if spec in ("katas", "solutions"):
        return project / spec
    path = Path(spec).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    if not path.is_dir():
        raise ImplError(f"{source}={spec}: no such directory; use {CHOICES_HELP}.")
    return path.resolve()


def module_file(root: Path, kata: str, module: str) -> Path:
    """`<root>/<kata>/<module>.py`, or `<root>/<module>.py` for a directory of loose modules."""
    for candidate in (root / kata / f"{module}.py", root / f"{module}.py"):
        if candidate.is_file():
            return candidate
    raise ImplError(f"No {module}.py for kata {kata} in {root} (looked for {kata}/{module}.py and {module}.py).")


def _short_error(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError):
        return f"{path} line {exc.lineno}: {exc.msg} — fix the syntax error and run again."
    return f"importing {path} raised {type(exc).__name__}: {exc}"


def load(path: Path, name: str) -> ModuleType:
    """Import `path` as the top-level module `name` (in sys.modules, its folder on sys.path).

    Registering the module and its folder makes everything a normal import supports work:
    dataclasses, pickling, and child processes that `import name` themselves.
    """
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) == str(path):
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImplError(f"{path} is not a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.parent)
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ImplError(_short_error(exc, path)) from exc
    return module


def pythonpath_for(module: ModuleType) -> dict[str, str]:
    """Environment for a child process that must `import` the same implementation."""
    env = dict(os.environ)
    folder = str(Path(module.__file__).parent)
    env["PYTHONPATH"] = os.pathsep.join([folder, str(PACKAGE_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env
