"""Progressive hints, kept apart from the lesson: `katas/NN_name/.hints.md` ("## Hint 1", "## Hint 2", …)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import DojoError, UsageError
from .katas import Kata

STATE = Path(".dojo") / "hints.json"


def parse(readme: str) -> list[str]:
    """The hints of a README, in order: the body of each `### …` heading under `## Hints`."""
    section = re.search(r"^##[ \t]+Hints?[ \t]*$(.*?)(?=^##[ \t]|\Z)", readme, re.M | re.S | re.I)
    if not section:
        return []
    parts = re.split(r"^###[ \t]+.*$", section.group(1), flags=re.M)
    return [p.strip() for p in parts[1:] if p.strip()]


HINTS_FILE = ".hints.md"


def parse_hints_file(text: str) -> list[str]:
    """The hints of a `.hints.md`, in order: the body under each `## Hint N` heading."""
    parts = re.split(r"^##[ \t]+Hint\b.*$", text, flags=re.M)
    return [p.strip() for p in parts[1:] if p.strip()]


def hints_of(kata: Kata) -> list[str]:
    try:
        return parse_hints_file((kata.folder_path / HINTS_FILE).read_text(encoding="utf-8"))
    except OSError:
        pass
    try:
        return parse(kata.readme.read_text(encoding="utf-8"))
    except OSError:
        return []


def _read_state(root: Path) -> dict[str, int]:
    try:
        data = json.loads((root / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def shown(root: Path, kata: Kata) -> int:
    """How many of the kata's hints were shown already."""
    return _read_state(root).get(kata.folder, 0)


def _write_state(root: Path, state: dict[str, int]) -> None:
    path = root / STATE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        raise DojoError(f"Cannot remember which hints were shown ({exc.strerror}: {path}).") from None


def forget(root: Path, kata: Kata) -> None:
    state = _read_state(root)
    if state.pop(kata.folder, None) is not None:
        _write_state(root, state)


def take(root: Path, kata: Kata, number: int | None = None) -> tuple[int, int, str]:
    """(hint number, how many there are, text): the next unseen hint, or hint `number`."""
    hints = hints_of(kata)
    if not hints:
        raise DojoError(f"{kata.folder} has no hints yet (no '## Hints' section in {kata.rel(kata.readme)}).")
    state = _read_state(root)
    seen = state.get(kata.folder, 0)
    if number is None:
        number = min(seen + 1, len(hints))
    if not 1 <= number <= len(hints):
        raise UsageError(f"{kata.folder} has {len(hints)} hints: choose a number from 1 to {len(hints)}.")
    if number > seen:
        state[kata.folder] = number
        _write_state(root, state)
    return number, len(hints), hints[number - 1]
