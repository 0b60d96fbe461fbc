"""The katas' hints, run against real servers, so that a hint can never again be wrong.

Hints live apart from the lessons, in `katas/NN_name/.hints.md`, and `dojo hint NN` reveals them
one at a time. The file's first line is an HTML comment naming the kata; then each hint starts at
a `## Hint N` heading (N = 1, 2, 3 in order; a kata has 2 or 3). Inside a hint:

- A fenced block with the info string `python` is runnable, and this file runs it: one test per
  block, with an id such as `03_lock-hint2-block1`. The block runs in a fresh namespace holding
  `r`, a `redis.Redis` (decode_responses=True) on an empty database of its own — for a PostgreSQL
  kata (11 and later) `conn` instead, a psycopg connection (autocommit off) to a fresh empty
  database as the run's own role, the block creating the tables it needs — and the modules
  `json`, `math`, `secrets`, `threading`, `time`, `uuid`, `redis`, plus `date` and `timedelta`. A
  block may define whatever it needs (`name = "lock:report"`, a function, a script) and ends with
  `assert`s that show what the hint claims.
- A block whose first line is `# needs Redis X.Y (what)` uses a command or option added in Redis
  X.Y. On an older server it fails before running, with a sentence naming that version, so a
  learner on an old server knows why the hint does not work for them.
- A sketch that cannot run on its own is fenced as `text` (or written as inline code). It is shown,
  never run.

Also checked here: no lesson README keeps a `## Hints` section, and every Redis kata (01–10) has
its `.hints.md` in this shape.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
import redis

HINTS_FILE = ".hints.md"
KATAS = Path(__file__).resolve().parent.parent / "katas"
ALL_KATAS = [p for p in sorted(KATAS.glob("[0-9][0-9]_*")) if p.is_dir() and (p / "README.md").is_file()]

HEADING = re.compile(r"^##[ \t]+Hint\b[ \t]*(.*?)[ \t]*$", re.M)
FENCE = re.compile(r"^```[ \t]*([\w+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
NEEDS = re.compile(r"\A#[ \t]*needs Redis (\d+)\.(\d+)\b[ \t]*(.*)$", re.M)
LESSON_HINTS = re.compile(r"^##[ \t]+Hints?[ \t]*$", re.M | re.I)


def hints(folder: Path) -> list[tuple[str, str, int]]:
    """(the number after `## Hint` as written, the hint's body, the 0-based line of its heading), in order."""
    text = (folder / HINTS_FILE).read_text(encoding="utf-8")
    heads = list(HEADING.finditer(text))
    found = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        found.append((head.group(1), text[head.end() : end], text.count("\n", 0, head.end())))
    return found


def snippets() -> list:
    """One pytest.param per python block of every kata's hints."""
    params = []
    for folder in ALL_KATAS:
        if not (folder / HINTS_FILE).is_file():
            continue  # the test below fails for it
        for number, body, line in hints(folder):
            blocks = [m for m in FENCE.finditer(body) if m.group(1) == "python"]
            for index, block in enumerate(blocks, start=1):
                first_line = line + body.count("\n", 0, block.start(2))
                params.append(
                    pytest.param(
                        folder, number, index, block.group(2), first_line, id=f"{folder.name}-hint{number}-block{index}"
                    )
                )
    return params


def server_version(r) -> tuple[int, ...]:
    return tuple(int(part) for part in r.info("server")["redis_version"].split(".")[:3])


def uses_postgres(folder: Path) -> bool:
    """Katas 11 and later are PostgreSQL katas: their hint blocks get `conn`, not `r`."""
    return int(folder.name[:2]) >= 11


@pytest.fixture
def client(request: pytest.FixtureRequest):
    """`r` for a Redis kata's hint, `conn` (a fresh database, as the run's role) for a PostgreSQL kata's."""
    folder = request.node.callspec.params["folder"]
    return request.getfixturevalue("conn" if uses_postgres(folder) else "r")


@pytest.mark.parametrize(("folder", "number", "index", "code", "first_line"), snippets())
def test_hint_snippet_runs_and_holds(client, folder: Path, number: str, index: int, code: str, first_line: int):
    where = f"{folder.name}/{HINTS_FILE}, hint {number}, python block {index}"
    needs = NEEDS.match(code)
    if needs and not uses_postgres(folder):
        r = client
        wanted = (int(needs.group(1)), int(needs.group(2)))
        running = server_version(r)
        if running[:2] < wanted:
            what = needs.group(3).strip().strip("()")
            pytest.fail(
                f"{where} needs Redis {wanted[0]}.{wanted[1]} or later{' for ' + what if what else ''}; the server "
                f"running is Redis {'.'.join(map(str, running))}, so this hint cannot work on it (see the README's "
                "'Server versions the hints need').",
                pytrace=False,
            )
    namespace = {
        "__name__": f"hint_{folder.name}_{number}_{index}",
        ("conn" if uses_postgres(folder) else "r"): client,
        "psycopg": psycopg,
        "json": json,
        "math": math,
        "secrets": secrets,
        "threading": threading,
        "time": time,
        "uuid": uuid,
        "redis": redis,
        "date": date,
        "timedelta": timedelta,
    }
    # Padded so that a traceback points at the line of the .hints.md file itself.
    source = "\n" * first_line + code
    exec(compile(source, str(folder / HINTS_FILE), "exec"), namespace)


@pytest.mark.parametrize("folder", ALL_KATAS, ids=[p.name for p in ALL_KATAS])
def test_each_kata_has_two_or_three_hints_apart_from_its_lesson(folder: Path):
    path = folder / HINTS_FILE
    assert path.is_file(), f"{folder.name} has no {HINTS_FILE}: its hints belong there, apart from the lesson"
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text else ""
    number = folder.name[:2]
    assert first.startswith(f"<!-- Hints for {folder.name}, revealed one at a time by `dojo hint {number}`."), (
        f"the first line of {folder.name}/{HINTS_FILE} should be the comment naming the kata and `dojo hint {number}`"
    )
    found = hints(folder)
    assert 2 <= len(found) <= 3, f"{folder.name} has {len(found)} hints: give it 2 or 3, each a step further"
    assert [n for n, _, _ in found] == [str(i) for i in range(1, len(found) + 1)], (
        f"the hints of {folder.name} should be numbered 1, 2, 3 in order, not {[n for n, _, _ in found]}"
    )
    for n, body, _ in found:
        assert body.strip(), f"hint {n} of {folder.name} is empty"
        assert body.count("```") % 2 == 0, f"hint {n} of {folder.name} has a code fence that is never closed"
        for block in FENCE.finditer(body):
            assert block.group(1) in ("python", "text"), (
                f"hint {n} of {folder.name} has a block fenced as {block.group(1) or 'nothing'!r}: fence runnable "
                "code as python (it is run by this file) and sketches as text"
            )


@pytest.mark.parametrize("readme", sorted(KATAS.glob("*/README.md")), ids=lambda p: p.parent.name)
def test_no_lesson_prints_its_hints(readme: Path):
    prints_hints = LESSON_HINTS.search(readme.read_text(encoding="utf-8")) is not None
    assert not prints_hints, (
        f"{readme.parent.name}/README.md has a '## Hints' section: move its hints to {HINTS_FILE}, "
        "where `dojo hint` reveals them one at a time"
    )
