"""Rules every kata keeps, read from its source: the contract, the assertions, the fixtures.

- The stub and the reference declare the same contract: every public function, class, method and
  constant of the stub exists in the reference with the same parameters and defaults (the
  reference may add helpers of its own).
- Every assertion in a kata's tests carries its teaching sentence.
- Module-scoped fixtures of a kata's tests never depend on the module under test: the mutant
  batches (dojo.authoring.mutant_batch) run many implementations in one session and keep
  module-scoped fixtures alive across them.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from dojo.authoring.mutants import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CATALOG = tomllib.loads((ROOT / "katas" / "catalog.toml").read_text())["kata"]
KATAS = [k for k in CATALOG if (ROOT / "katas" / k["folder"]).is_dir()]
IDS = [k["folder"] for k in KATAS]


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, str, str | None]]:
    """(kind, name, default) of each parameter; annotations are left out."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + [ast.unparse(d) for d in a.defaults]
    out = [("positional", p.arg, d) for p, d in zip(positional, defaults)]
    if a.vararg:
        out.append(("*args", a.vararg.arg, None))
    out += [("keyword", p.arg, ast.unparse(d) if d is not None else None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        out.append(("**kwargs", a.kwarg.arg, None))
    return out


def contract(tree: ast.Module) -> dict[str, object]:
    """Public name → what the contract fixes about it."""
    out: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            out[node.name] = ("function", parameters(node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            members: dict[str, object] = {}
            for item in node.body:
                public = not item.name.startswith("_") or item.name == "__init__" if hasattr(item, "name") else False
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and public:
                    members[item.name] = parameters(item)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members[item.target.id] = ("field", ast.unparse(item.value) if item.value else None)
            out[node.name] = ("class", [ast.unparse(b) for b in node.bases], members)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.isupper():
                try:
                    out[name] = ("constant", ast.literal_eval(node.value))
                except ValueError:
                    out[name] = ("constant", ast.unparse(node.value))
    return out


@pytest.mark.parametrize("kata", KATAS, ids=IDS)
def test_the_stub_and_the_reference_declare_the_same_contract(kata):
    module = f"{kata['module']}.py"
    stub = contract(parse(ROOT / "katas" / kata["folder"] / module))
    reference = contract(parse(ROOT / "solutions" / kata["folder"] / module))
    assert stub, f"katas/{kata['folder']}/{module} declares nothing public"
    missing = sorted(set(stub) - set(reference))
    assert not missing, f"solutions/{kata['folder']}/{module} lacks {missing}, which the stub declares"
    differing = {name: (stub[name], reference[name]) for name in stub if stub[name] != reference[name]}
    assert not differing, (
        f"the stub and the reference of {kata['folder']} declare these differently (stub, reference): {differing}"
    )


def test_the_contract_reader_sees_parameters_defaults_and_members():
    tree = ast.parse(
        "X = {'a': (1, 2)}\n"
        "def f(r, name: str, ttl_ms: int = 5, *, wait_s=1.0): ...\n"
        "class C(Exception):\n    n: int = 0\n    def __init__(self, r, handler, channels=()): ...\n"
        "    def _private(self): ...\n    def stop(self) -> None: ...\n"
    )
    assert contract(tree) == {
        "X": ("constant", {"a": (1, 2)}),
        "f": (
            "function",
            [("positional", "r", None), ("positional", "name", None), ("positional", "ttl_ms", "5")]
            + [("keyword", "wait_s", "1.0")],
        ),
        "C": (
            "class",
            ["Exception"],
            {
                "n": ("field", "0"),
                "__init__": [("positional", n, d) for n, d in (("self", None), ("r", None), ("handler", None))]
                + [("positional", "channels", "()")],
                "stop": [("positional", "self", None)],
            },
        ),
    }


def bare_asserts(tree: ast.Module) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert) and node.msg is None]


@pytest.mark.parametrize("kata", KATAS, ids=IDS)
def test_every_assertion_in_a_kata_test_says_what_went_wrong(kata):
    path = ROOT / "katas" / kata["folder"] / f"test_{kata['module']}.py"
    lines = bare_asserts(parse(path))
    assert not lines, (
        f"{path.relative_to(ROOT)} has assertions without a message at lines {lines}: give each one the "
        "sentence a learner needs when it fails"
    )


def module_scoped_fixtures(tree: ast.Module) -> list[ast.FunctionDef]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and any(
                k.arg == "scope" and isinstance(k.value, ast.Constant) and k.value.value in ("module", "session")
                for k in deco.keywords
            ):
                found.append(node)
    return found


@pytest.mark.parametrize("kata", KATAS, ids=IDS)
def test_module_scoped_fixtures_never_use_the_module_under_test(kata):
    path = ROOT / "katas" / kata["folder"] / f"test_{kata['module']}.py"
    uses = [
        f.name
        for f in module_scoped_fixtures(parse(path))
        if any(isinstance(n, ast.Name) and n.id == kata["module"] for n in ast.walk(f))
    ]
    assert not uses, (
        f"module-scoped fixtures {uses} in {path.relative_to(ROOT)} use `{kata['module']}`: a fixture that outlives "
        "one test must not hold on to the implementation (mutant batches swap it between tests); make it "
        "function-scoped"
    )
