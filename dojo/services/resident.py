"""Servers kept running between test runs (`dojo up`), recorded in a small JSON file."""

from __future__ import annotations

import json
import os
from pathlib import Path


def state_file(root: Path) -> Path:
    return root / ".dojo" / "servers.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except (ProcessLookupError, PermissionError, OSError):
        return False


def read(root: Path) -> dict[str, str]:
    """URLs of resident servers that are still alive, by service name ("redis", "postgres")."""
    try:
        entries = json.loads(state_file(root).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {
        name: entry["url"]
        for name, entry in entries.items()
        if isinstance(entry, dict) and isinstance(entry.get("url"), str) and _alive(int(entry.get("pid", -1)))
    }


def write(root: Path, entries: dict[str, dict]) -> None:
    path = state_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))
