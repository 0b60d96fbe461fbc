"""The fast mutant runner: one warm fork server, a kata's mutants in one pytest session."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dojo.authoring.forkserver import ForkServer
from dojo.authoring.mutant_batch import read_outcomes, write_batch
from dojo.authoring.mutants import describe

TESTS = "katas/03_lock/test_lock.py"


@pytest.fixture(scope="module")
def server(child_env):
    with ForkServer(child_env) as s:
        yield s


def mutant(folder: Path, name: str, body: str, caught_by: str) -> Path:
    path = folder / "03_lock" / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = f'"""Mistake: {name}.\n\nCaught by: {caught_by}\n"""\n'
    path.write_text(
        doc + 'from dojo.authoring.mutants import inherit\n\ninherit(globals(), "03_lock/lock.py")\n' + body
    )
    return path


def test_a_forked_run_is_a_pytest_run_of_its_own(server):
    first = server.run([TESTS], impl="solutions", extra=["-k", "test_tokens_are_fresh_and_unguessable"])
    second = server.run([TESTS], impl="katas", extra=["-k", "test_tokens_are_fresh_and_unguessable"])
    assert first.outcomes() == {"test_tokens_are_fresh_and_unguessable": "passed"}, first.output[-1500:]
    assert second.outcomes() == {"test_tokens_are_fresh_and_unguessable": "failed"}, "the stub fails, in a fresh child"
    assert first.pid != second.pid


def test_a_batch_swaps_each_mutant_in_for_the_tests_it_names(server, tmp_path):
    named = "test_release_with_a_wrong_token_changes_nothing, test_tokens_are_fresh_and_unguessable"
    faithful = mutant(tmp_path / "src", "faithful", "", named)  # the reference itself: nothing to catch
    blind = mutant(
        tmp_path / "src",
        "blind_release",
        textwrap.dedent(
            """
            def release(r, name, token):
                return bool(r.delete(name))
            """
        ),
        "test_release_with_a_wrong_token_changes_nothing",
    )
    predictable = mutant(
        tmp_path / "src",
        "counter_tokens",
        textwrap.dedent(
            """
            import itertools
            _n = itertools.count()

            def acquire(r, name, ttl_ms):
                token = f"token-{next(_n):012d}"
                return token if r.set(name, token, nx=True, px=ttl_ms) else None
            """
        ),
        "test_tokens_are_fresh_and_unguessable",
    )
    mutants = [describe(p) for p in (blind, faithful, predictable)]
    env = write_batch(mutants, {"03_lock": "lock"}, tmp_path / "batch")
    run = server.run([TESTS], impl="solutions", extra=["-p", "dojo.authoring.mutant_batch"], env=env)
    outcomes = read_outcomes(tmp_path / "batch")
    assert outcomes == {
        "03_lock/blind_release": {"test_release_with_a_wrong_token_changes_nothing": "failed"},
        "03_lock/faithful": {
            "test_release_with_a_wrong_token_changes_nothing": "passed",
            "test_tokens_are_fresh_and_unguessable": "passed",
        },
        "03_lock/counter_tokens": {"test_tokens_are_fresh_and_unguessable": "failed"},
    }, run.output[-2000:]
