"""The katas' tests earn trust: each fails on its untouched stub, and each mutant is caught.

(That each passes on the reference is the main run: `pytest --impl=solutions`.)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from dojo.authoring.forkserver import ForkServer
from dojo.authoring.mutant_batch import read_outcomes, write_batch
from dojo.authoring.mutants import ROOT, Mutant, all_mutants

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# A whole kata's run (a stub, an alternative, or every mutant of a kata in one session) takes
# 5-60 s here, more on a loaded machine: far more than one ordinary test may.
KATA_RUN_TIMEOUT = pytest.mark.timeout(900)

CATALOG = tomllib.loads((ROOT / "katas" / "catalog.toml").read_text())["kata"]
KATAS = [k for k in CATALOG if (ROOT / "katas" / k["folder"]).is_dir()]
MUTANTS = all_mutants()
ALTERNATIVES = sorted((ROOT / "tests" / "alternatives").glob("[0-9][0-9]_*/*.py"))


@pytest.fixture(scope="session")
def runs(child_env):
    """Child pytest runs forked from one warm process (each still a process of its own), on this run's servers."""
    with ForkServer(child_env) as server:
        yield server


class MutantBatches:
    """A kata's selected mutants run in one pytest session (dojo.authoring.mutant_batch), once per kata."""

    def __init__(self, runs: ForkServer, session: pytest.Session, folder: Path) -> None:
        self.runs = runs
        self.folder = folder
        self.selected = {
            item.callspec.params["mutant"].name
            for item in session.items
            if getattr(item, "originalname", "") == "test_every_mutant_is_caught_by_the_test_it_names"
        }
        self.done: dict[str, tuple[dict[str, dict[str, str]], str]] = {}

    def outcomes(self, mutant: Mutant) -> tuple[dict[str, str], str]:
        """The mutant's named tests → outcome, and the output of its kata's batch run."""
        if mutant.kata not in self.done:
            kata = next(k for k in CATALOG if k["folder"] == mutant.kata)
            mine = [m for m in MUTANTS if m.kata == mutant.kata and (m.name in self.selected or m is mutant)]
            valid = [m for m in mine if m.caught_by and not set(m.caught_by) - functions_tested_in(kata)]
            folder = self.folder / mutant.kata
            env = write_batch(valid, {kata["folder"]: kata["module"]}, folder)
            run = self.runs.run(
                [f"katas/{kata['folder']}/test_{kata['module']}.py"],
                impl="solutions",
                extra=["-p", "dojo.authoring.mutant_batch"],
                env=env,
            )
            self.done[mutant.kata] = (read_outcomes(folder), run.output)
        by_mutant, output = self.done[mutant.kata]
        return by_mutant.get(mutant.name, {}), output


@pytest.fixture(scope="session")
def mutant_batches(runs, request, tmp_path_factory):
    return MutantBatches(runs, request.session, tmp_path_factory.mktemp("mutants"))


def functions_tested_in(kata: dict) -> set[str]:
    path = ROOT / "katas" / kata["folder"] / f"test_{kata['module']}.py"
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


@KATA_RUN_TIMEOUT
@pytest.mark.parametrize("kata", KATAS, ids=[k["folder"] for k in KATAS])
def test_every_test_fails_on_the_untouched_stub(kata, runs):
    run = runs.run([f"katas/{kata['folder']}"], impl="katas")
    outcomes = run.outcomes()
    assert set(outcomes) == functions_tested_in(kata), f"not every test ran on the stub:\n{run.output[-2000:]}"
    passing = sorted(name for name, outcome in outcomes.items() if outcome != "failed")
    assert not passing, f"these tests do not fail on the stub, so they assert nothing: {passing}"


@pytest.mark.parametrize("kata", KATAS, ids=[k["folder"] for k in KATAS])
def test_every_kata_has_at_least_four_mutants(kata):
    mine = [m for m in MUTANTS if m.kata == kata["folder"]]
    assert len(mine) >= 4, (
        f"{kata['folder']} has {len(mine)} mutants in tests/mutants/{kata['folder']}/; at least 4 are needed"
    )


@KATA_RUN_TIMEOUT
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_every_mutant_is_caught_by_the_test_it_names(mutant, mutant_batches):
    kata = next(k for k in CATALOG if k["folder"] == mutant.kata)
    assert mutant.mistake, f"{mutant.path} needs a docstring whose first line names the mistake"
    assert mutant.caught_by, f"{mutant.path} needs a 'Caught by: test_name' line"
    unknown = set(mutant.caught_by) - functions_tested_in(kata)
    assert not unknown, f"{mutant.name} names tests that do not exist: {sorted(unknown)}"
    outcomes, output = mutant_batches.outcomes(mutant)
    for test in mutant.caught_by:
        assert outcomes.get(test) == "failed", (
            f"{mutant.name} ({mutant.mistake}) was not caught by {test}: {outcomes.get(test)}\n{output[-1500:]}"
        )


@KATA_RUN_TIMEOUT
@pytest.mark.parametrize("path", ALTERNATIVES, ids=[f"{p.parent.name}/{p.stem}" for p in ALTERNATIVES])
def test_a_correct_implementation_written_another_way_passes(path, runs, tmp_path):
    """tests/alternatives/ holds correct code unlike the reference (WATCH/MULTI for Lua, ...): the tests must not overfit."""
    kata = next(k for k in CATALOG if k["folder"] == path.parent.name)
    (tmp_path / f"{kata['module']}.py").write_text(path.read_text())
    run = runs.run([f"katas/{kata['folder']}"], impl=str(tmp_path))
    failing = sorted(name for name, outcome in run.outcomes().items() if outcome != "passed")
    assert run.returncode == 0 and not failing, f"{path.name} is correct but fails {failing}:\n{run.output[-1500:]}"


def test_mutants_live_in_folders_named_after_katas():
    folders = {k["folder"] for k in CATALOG}
    strays = [
        str(p)
        for p in (ROOT / "tests" / "mutants").iterdir()
        if p.is_dir() and p.name not in folders and p.name != "__pycache__"
    ]
    assert not strays, f"mutant folders that match no kata in katas/catalog.toml: {strays}"


def test_mutant_docstrings_parse(tmp_path):
    assert MUTANTS, "no mutants found under tests/mutants/"
    for m in MUTANTS:
        assert Path(m.path).read_text().lstrip().startswith('"""'), f"{m.path} must start with its docstring"
