"""Servers kept running between test runs (`dojo up`), recorded in a small JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from . import process


def state_file(root: Path) -> Path:
    return root / ".dojo" / "servers.json"


def entries(root: Path) -> dict[str, dict]:
    """The recorded servers by service name, alive or not ({} when there is no readable file)."""
    try:
        data = json.loads(state_file(root).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def read(root: Path) -> dict[str, str]:
    """URLs of resident servers that are still alive, by service name ("redis", "postgres")."""
    return {
        name: entry["url"]
        for name, entry in entries(root).items()
        if isinstance(entry.get("url"), str) and process.alive(int(entry.get("pid", -1)))
    }


def write(root: Path, entries: dict[str, dict]) -> None:
    path = state_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))
