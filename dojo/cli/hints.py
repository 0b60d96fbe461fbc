"""Progressive hints, kept apart from the lesson in `katas/NN_name/.hints.md` ("## Hint 1", …),
and which of them a learner has seen (.dojo/hints.json)."""

from __future__ import annotations

import re
from pathlib import Path

from .. import jsonfile
from ..catalog import Kata
from ..errors import DojoError, UsageError

STATE = Path(".dojo") / "hints.json"


def parse(text: str) -> list[str]:
    """The hints of a `.hints.md`, in order: the body under each `## Hint N` heading."""
    parts = re.split(r"^##[ \t]+Hint\b.*$", text, flags=re.M)
    return [p.strip() for p in parts[1:] if p.strip()]


def hints_of(kata: Kata) -> list[str]:
    try:
        return parse(kata.hints_file.read_text(encoding="utf-8"))
    except OSError:
        return []


def no_hints(kata: Kata) -> DojoError:
    return DojoError(f"{kata.folder} has no hints yet ({kata.rel(kata.hints_file)} does not exist).")


def _read_state(root: Path) -> dict[str, int]:
    data, _problem = jsonfile.read(root / STATE)
    return {k: v for k, v in data.items() if isinstance(v, int)}


def shown(root: Path, kata: Kata) -> int:
    """How many of the kata's hints were shown already."""
    return _read_state(root).get(kata.folder, 0)


def _write_state(root: Path, state: dict[str, int]) -> None:
    try:
        jsonfile.write_atomic(root / STATE, state)
    except OSError as exc:
        raise DojoError(f"Cannot remember which hints were shown ({exc.strerror}: {root / STATE}).") from None


def forget(root: Path, kata: Kata) -> None:
    state = _read_state(root)
    if state.pop(kata.folder, None) is not None:
        _write_state(root, state)


def take(root: Path, kata: Kata, number: int | None = None) -> tuple[int, int, str]:
    """(hint number, how many there are, text): the next unseen hint, or hint `number`."""
    hints = hints_of(kata)
    if not hints:
        raise no_hints(kata)
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
