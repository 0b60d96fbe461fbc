"""The GitHub Classroom workflow of a student repository, written by `dojo classroom`.

Pristine tests: the job checks out the template repository at a pinned ref as the workspace (the
tests, conftest files, harness, pytest settings and the catalog of what is graded), installs
the project from there, checks the student's repository out into `student/`, and grades only the
student's kata modules with `dojo grade --impl student/katas`. Nothing of the student's
repository is installed, collected, loaded as a conftest or read as pytest settings.

The grading reporter gets one result per kata level (see reporter.py), so the workflow names each
of them: a step output, an environment variable and an entry in `runners`.
"""

from __future__ import annotations

import re
import shlex

from .reporter import runner_ids

STUDENT_DIR = "student"
TOKEN_SECRET = "DOJO_TEMPLATE_TOKEN"
REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")

HEADER = """\
# GitHub Classroom autograding for System Design Katas, written by `dojo classroom`.
#
# Pristine tests. The workspace is the template repository at a pinned ref, {repo} @ {ref}:
# its tests, conftest files, harness and pytest settings. The student's repository is checked
# out into {student}/ and only its kata modules are graded (--impl {student}/katas): nothing else
# of it is installed, collected, or read as a conftest or a pytest setting. A private template
# needs a read-only token for it in the secret {secret}.
#
# The grading reporter gets one result per kata level ({first}, …): it shows each as
# passed tests / tests x the level's points, which is exactly how dojo shares a kata's points
# (3:3:2:2 by level), so its log, its table and the points sent to Classroom agree.
# Regenerate this file with `dojo classroom` rather than editing the lists below by hand.
"""

PATTERN_REPO = "your-org/your-katas-template"
PATTERN_NOTE = """\
#
# This copy, in the katas' own repository, is the pattern for your-org/your-katas-template (its
# checkout fails here): make a real template with `dojo classroom DIR --template-repo OWNER/NAME`.
# Regenerate this copy with `python -m dojo.grading.workflow > .github/workflows/classroom.yml`.
"""

BODY = """\
name: Autograding Tests
"on":
  push:
  repository_dispatch:
  workflow_dispatch:
permissions:
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    name: Autograding Tests
    runs-on: ubuntu-latest
    # Not in the template itself (only in the students' repositories made from it).
    if: github.actor != 'github-classroom[bot]' && github.repository != '{repo}'
    timeout-minutes: 30
    steps:
      - name: Check out the template (the trusted tests, at a pinned ref)
        uses: actions/checkout@v4
        with:
          repository: "{repo}"
          ref: "{ref}"
          token: ${{{{ secrets.{secret} || github.token }}}}
          persist-credentials: false
      - name: Check out the student's code
        uses: actions/checkout@v4
        with:
          path: {student}
          persist-credentials: false
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.12"
{tools}      - name: Install the katas and their servers (from the template)
        run: python -m pip install -e .
      - name: Grade the student's katas
        id: dojo
        run: {grade}
      - name: Autograding Reporter
        if: always()
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}
        with:
          runners: {runners}
      - name: Keep the test report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: grade
          path: |
            grade.json
            grade.xml
"""


def grade_command(katas: list[str], points: float, timeout_s: float) -> str:
    """The grade step's command: the listed katas, the student's modules, every report."""
    args = ["dojo", "grade", *katas, "--impl", f"{STUDENT_DIR}/katas"]
    if points != 10:
        args += ["--points", f"{points:g}"]
    args += ["--timeout", f"{timeout_s:g}", "--json", "grade.json", "--junit", "grade.xml"]
    return shlex.join(args) + ' --markdown "$GITHUB_STEP_SUMMARY" --github-output'


def render(
    levels_by_kata: list[tuple[str, str, list[int]]],
    repo: str,
    ref: str,
    points: float = 10,
    timeout_s: float = 20,
    packages: list[str] | None = None,
) -> str:
    """The workflow for these katas: (folder, name, levels) each, graded in this order; `packages`:
    Debian packages some of their tests need (`tools` in the catalog: kata 15's pgbouncer), which a
    grade needs installed — a skipped test earns nothing there."""
    ids = runner_ids([(name, levels) for _folder, name, levels in levels_by_kata])
    env = "\n".join(f"          {i.upper()}_RESULTS: \"${{{{ steps.dojo.outputs['{i}'] }}}}\"" for i in ids)
    grade = grade_command([folder for folder, _name, _levels in levels_by_kata], points, timeout_s)
    values = {"repo": repo, "ref": ref, "secret": TOKEN_SECRET, "student": STUDENT_DIR}
    header = HEADER.format(first=ids[0] if ids else "", **values)
    if repo == PATTERN_REPO:
        header += PATTERN_NOTE
    tools = ""
    if packages:
        tools = (
            "      - name: Install the tools some tests need\n"
            f"        run: sudo apt-get update -q && sudo apt-get install -y -q {' '.join(sorted(set(packages)))}\n"
        )
    return header + BODY.format(grade=grade, env=env, runners=",".join(ids), tools=tools, **values)


if __name__ == "__main__":  # the repository's own .github/workflows/classroom.yml: python -m dojo.grading.workflow
    from ..catalog import PACKAGE_ROOT, load, select
    from .template import levels_of

    katas = select(load(PACKAGE_ROOT), None)
    tools = [t for k in katas for t in k.extra.get("tools", [])]
    print(render([(k.folder, k.name, levels_of(k)) for k in katas], PATTERN_REPO, "grading", packages=tools), end="")
