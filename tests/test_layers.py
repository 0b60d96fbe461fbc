"""The harness's shape: the pytest side never reaches into the `dojo` command's side."""

from __future__ import annotations

import re
import subprocess
import sys

from dojo.catalog import PACKAGE_ROOT as ROOT
from dojo.services.settings import POSTGRES_SETTINGS

PYTEST_SIDE = [
    "dojo.harness.plugin",
    "dojo.harness.childlog",
    "dojo.harness.plans",
    "dojo.race",
    "dojo.measure",
    "dojo.services.embedded_postgres",
    "dojo.services.docker",
]
COMMAND_SIDE = ("dojo.cli", "dojo.runs", "dojo.grading", "dojo.authoring", "rich", "watchfiles")


def test_the_pytest_side_imports_nothing_from_the_command_side():
    probe = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in PYTEST_SIDE)
        + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {['rich', 'watchfiles']!r} "
        f"or m.startswith({COMMAND_SIDE!r})))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"the pytest side imported the command side: {done.stdout.strip()}"


def test_docker_compose_passes_postgres_the_harness_settings():
    text = (ROOT / "docker-compose.yml").read_text()
    given = dict(re.findall(r'"-c",\s*"([\w.]+)=([^"]*)"', text))
    assert given == POSTGRES_SETTINGS, (
        "docker-compose.yml's PostgreSQL settings differ from dojo/services/settings.py (the one source): "
        f"missing {set(POSTGRES_SETTINGS.items()) - set(given.items())}, extra {set(given.items()) - set(POSTGRES_SETTINGS.items())}"
    )
