"""A kata's tests and their levels, read from its test file without running anything (instant)."""

from __future__ import annotations

import ast
from pathlib import Path


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


def function_of(nodeid: str) -> str:
    """`test_x` for `katas/03_lock/test_lock.py::TestCore::test_x[param]`."""
    return nodeid.split("::")[-1].split("[")[0]
