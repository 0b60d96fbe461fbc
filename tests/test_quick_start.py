"""The README's first steps are the real ones: what it shows is what a learner's first runs print."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from dojo.catalog import PACKAGE_ROOT as ROOT

README = (ROOT / "README.md").read_text()


def shown(marker: str) -> list[str]:
    """The lines of the README's text block after `<!-- marker: … -->`."""
    m = re.search(rf"<!-- {marker}:.*?-->\s*```text\n(.*?)```", README, re.S)
    assert m, f"the README lost its {marker} block"
    return [line for line in m.group(1).splitlines() if line.strip()]


def pytest_output(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "--dojo-results=none", "-p", "no:xdist"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout


def learner_env(child_env: dict[str, str], columns: int) -> dict[str, str]:
    return {**child_env, "COLUMNS": str(columns)}


def test_the_quick_start_command_is_the_first_kata_dojo_next_runs():
    first = re.search(r"## Quick start\s+pip install -e \.\s+pytest (katas/\S+)", README)
    assert first and first.group(1) == "katas/01_cache", "the quick start should run the first kata of the catalog"


def test_the_quick_start_output_is_what_the_untouched_stub_prints(child_env):
    output = pytest_output("katas/01_cache", env=learner_env(child_env, 80))
    for line in shown("quick-start-output"):
        assert line in output, f"the README shows {line!r}, which `pytest katas/01_cache` does not print:\n{output}"


def test_the_quick_start_failure_is_what_a_classic_mistake_gets(child_env, tmp_path):
    shutil.copy(ROOT / "tests/mutants/01_cache/no_ttl.py", tmp_path / "cache.py")
    output = pytest_output(
        "katas/01_cache", f"--impl={tmp_path}", "-k", "expires_within_ttl_s", env=learner_env(child_env, 100)
    )
    for line in shown("quick-start-failure"):
        assert line in output, f"the README shows {line!r}, which the run does not print:\n{output}"


def copy_of_the_project(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".git", ".venv", ".dojo", "__pycache__", ".ci"))
    return project


def test_dojo_hint_without_a_kata_gives_the_next_hint_of_the_kata_dojo_next_runs(tmp_path):
    project = copy_of_the_project(tmp_path)
    for number in (1, 2):
        done = subprocess.run(
            [sys.executable, "-m", "dojo", "hint"], cwd=project, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"Hint {number} of 3"), done.stdout
        assert "`dojo hint 01` again" in done.stdout or number == 3


def test_the_dojo_next_session_in_the_readme_is_what_dojo_next_prints(child_env, tmp_path):
    m = re.search(r"```console\n\$ dojo next\n(.*?)```", README, re.S)
    assert m, "the README lost its `dojo next` session"
    project = copy_of_the_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KATAS_"))}
    done = subprocess.run(
        [sys.executable, "-m", "dojo", "next"],
        cwd=project,
        env={
            **env,
            "COLUMNS": "100",
            "KATAS_SERVICES": "url",
            **{k: child_env[k] for k in child_env if k.startswith("KATAS_")},
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    timing = re.compile(r"\(\d+\.\d s\)")
    for line in m.group(1).splitlines():
        assert timing.sub("(… s)", line) in timing.sub("(… s)", done.stdout), (
            f"the README shows {line!r}, which `dojo next` does not print:\n{done.stdout}"
        )
