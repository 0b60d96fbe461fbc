"""JSON state files under .dojo/: atomic writes, a lock for read-modify-write, a last good copy."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, writes stay atomic
    fcntl = None  # type: ignore[assignment]


def _backup(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def read(path: Path) -> tuple[dict, str | None]:
    """(data, problem): {} and None when there is no file; the last good copy when it is damaged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, f"Cannot read {path.name} ({exc.strerror})"
    data = _parse(text)
    if data is not None:
        return data, None
    try:
        saved = _parse(_backup(path).read_text(encoding="utf-8"))
    except OSError:
        saved = None
    if saved is not None:
        return saved, f"{path.name} is damaged; using its last good copy ({_backup(path).name})"
    return {}, f"{path.name} is damaged and there is no good copy of it"


def _parse(text: str) -> dict | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def write_atomic(path: Path, data: dict) -> None:
    """Replace `path` in one step (readers never see half a file); the good file it replaces is kept as .bak."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        if path.exists() and _parse(path.read_text(encoding="utf-8", errors="replace")) is not None:
            shutil.copyfile(path, _backup(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked_update(path: Path) -> Iterator[dict]:
    """Read, change and write `path` while holding a lock, so concurrent writers lose no update.

    `with locked_update(p) as data: data["x"] = 1` — written when the block ends without error.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            data, _problem = read(path)
            yield data
            write_atomic(path, data)
        finally:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
