"""The katas: katas/catalog.toml, forgiving names (`3`, `03`, `lock`, `03_lock`), and each kata's
tests and their levels, read from its test file without running anything."""

from __future__ import annotations

import ast
import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DojoError, UsageError
from .outcomes import function_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The checkout this package lives in (an editable install): where solutions/ and tests/ are."""
CATALOG = Path("katas") / "catalog.toml"
LEVEL_NAMES = {1: "core", 2: "edges", 3: "concurrency", 4: "evidence"}


@dataclass(frozen=True)
class Kata:
    """One catalog entry, with where its files live in the project."""

    folder: str
    title: str
    module: str
    root: Path
    difficulty: int = 1
    minutes: int = 0
    concepts: tuple[str, ...] = ()
    services: tuple[str, ...] = ("redis",)
    claim: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def number(self) -> str:
        return self.folder[:2]

    @property
    def name(self) -> str:
        """The part after the number: `lock` for 03_lock."""
        return self.folder[3:] if re.match(r"^\d\d_", self.folder) else self.folder

    @property
    def folder_path(self) -> Path:
        return self.root / "katas" / self.folder

    @property
    def test_file(self) -> Path:
        return self.folder_path / f"test_{self.module}.py"

    @property
    def stub(self) -> Path:
        return self.folder_path / f"{self.module}.py"

    @property
    def reference(self) -> Path:
        return self.root / "solutions" / self.folder / f"{self.module}.py"

    @property
    def readme(self) -> Path:
        return self.folder_path / "README.md"

    @property
    def hints_file(self) -> Path:
        """The kata's hints, kept apart from the lesson (`dojo hint` reveals them one at a time)."""
        return self.folder_path / ".hints.md"

    @property
    def available(self) -> bool:
        """True once the kata's folder holds its tests (catalog entries may come before the kata)."""
        return self.test_file.is_file()

    @property
    def target(self) -> str:
        """The pytest target for this kata, relative to the project root."""
        return f"katas/{self.folder}"

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def project_root(start: Path | None = None) -> Path:
    """The project: the nearest folder (from the current one up) holding katas/catalog.toml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CATALOG).is_file():
            return folder
    if (PACKAGE_ROOT / CATALOG).is_file():
        return PACKAGE_ROOT
    raise DojoError("No katas/catalog.toml here or in any parent folder: run dojo inside the katas repository.")


def load(root: Path) -> list[Kata]:
    """Every kata in catalog order; a damaged catalog is one clear error."""
    path = root / CATALOG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DojoError(f"Cannot read {CATALOG}: {exc.strerror or exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise DojoError(f"{CATALOG} is not valid TOML ({exc}); fix it and run again.") from None
    katas = []
    for i, entry in enumerate(data.get("kata", [])):
        if not isinstance(entry, dict) or not entry.get("folder") or not entry.get("module"):
            raise DojoError(f"{CATALOG}: entry {i + 1} needs at least `folder` and `module`.")
        known = {"folder", "title", "module", "difficulty", "minutes", "concepts", "services", "claim"}
        katas.append(
            Kata(
                folder=str(entry["folder"]),
                title=str(entry.get("title", entry["folder"])),
                module=str(entry["module"]),
                root=root,
                difficulty=int(entry.get("difficulty", 1)),
                minutes=int(entry.get("minutes", 0)),
                concepts=tuple(entry.get("concepts", ())),
                services=tuple(entry.get("services", ("redis",))),
                claim=str(entry.get("claim", "")),
                extra={k: v for k, v in entry.items() if k not in known},
            )
        )
    return katas


def _normal(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def aliases(kata: Kata) -> set[str]:
    """Every name that selects this kata."""
    names = {kata.folder.lower(), kata.name.lower(), kata.module.lower(), _normal(kata.title)}
    if kata.number.isdigit():
        names |= {kata.number, str(int(kata.number))}
    return names


def find(katas: list[Kata], query: str) -> Kata:
    """The kata `query` names: exact alias, else a unique prefix; unknown names exit 2 with suggestions."""
    q = _normal(query)
    if not q:
        raise UsageError("Give a kata name, such as 03 or lock (`dojo list` shows them all).")
    exact = [k for k in katas if q in aliases(k)]
    if len(exact) == 1:
        return exact[0]
    prefixed = [k for k in katas if any(a.startswith(q) for a in aliases(k) if not a.isdigit())]
    if len(prefixed) == 1 and not q.isdigit():
        return prefixed[0]
    if len(prefixed) > 1 and not q.isdigit():
        names = ", ".join(k.folder for k in prefixed)
        raise UsageError(f"'{query}' matches several katas: {names}; say which one.")
    by_alias = {a: k.folder for k in katas for a in aliases(k) if not a.isdigit()}
    close = difflib.get_close_matches(q, list(by_alias), n=6, cutoff=0.5)
    suggestions = list(dict.fromkeys(by_alias[c] for c in close))[:3]
    if suggestions:
        raise UsageError(
            f"Unknown kata '{query}': did you mean {' or '.join(suggestions)}? (`dojo list` shows them all)"
        )
    raise UsageError(f"Unknown kata '{query}'; `dojo list` shows the {len(katas)} katas.")


def require_available(kata: Kata) -> Kata:
    if not kata.available:
        raise UsageError(
            f"{kata.folder} ({kata.title}) is not available yet: {kata.rel(kata.test_file)} does not exist."
        )
    return kata


def select(katas: list[Kata], queries: list[str] | None) -> list[Kata]:
    """The named katas (each must exist and be available), or every available kata when none is named."""
    if queries:
        chosen = [require_available(find(katas, q)) for q in queries]
        return list(dict.fromkeys(chosen))
    return [k for k in katas if k.available]


# --- tests and levels, read from a test file -----------------------------------------------------


def _level_of(decorators: list[ast.expr]) -> int | None:
    """The n of a `@level(n)` / `@pytest.mark.level(n)` decorator, if there is one."""
    for dec in decorators:
        if not (isinstance(dec, ast.Call) and dec.args and isinstance(dec.args[0], ast.Constant)):
            continue
        func = dec.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name == "level" and isinstance(dec.args[0].value, int):
            return dec.args[0].value
    return None


def _module_level(tree: ast.Module) -> int | None:
    """`pytestmark = pytest.mark.level(n)` at module level."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            marks = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            level = _level_of(list(marks))
            if level is not None:
                return level
    return None


def tests_in(path: Path) -> dict[str, int | None]:
    """Test function name → level, in file order; {} when the file is missing or does not parse."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    default = _module_level(tree)
    found: dict[str, int | None] = {}

    def visit(body: list[ast.stmt], inherited: int | None) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                level = _level_of(node.decorator_list)
                visit(node.body, level if level is not None else inherited)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                level = _level_of(node.decorator_list)
                found[node.name] = level if level is not None else inherited

    visit(tree.body, default)
    return found


__all__ = ["Kata", "LEVEL_NAMES", "PACKAGE_ROOT", "find", "function_of", "load", "project_root", "select", "tests_in"]
