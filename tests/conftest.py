"""Fixtures for the tests of the tests: child pytest runs that reuse this run's servers."""

from __future__ import annotations

import os
import textwrap

import pytest

from dojo.catalog import PACKAGE_ROOT as ROOT
from dojo.harness.state import worker_index
from dojo.runs.child import ChildRun, run_pytest
from dojo.services import REPLICA
from dojo.services.redis_isolation import redis_db_url


@pytest.fixture(scope="session")
def child_env(dojo_servers) -> dict[str, str]:
    """Environment for a child pytest that uses this worker's servers (URL mode), not its own.

    The child gets a Redis database number of its own (8 + worker index), so it never meets
    the parent's tests, and the run's replica (kata 17), started here once per worker.
    """
    index = worker_index()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KATAS_"))}
    env["KATAS_SERVICES"] = "url"
    env["KATAS_REDIS_URL"] = redis_db_url(dojo_servers.url("redis").rsplit("/", 1)[0] + "/8", index)
    env["KATAS_POSTGRES_URL"] = dojo_servers.url("postgres")
    env["KATAS_POSTGRES_REPLICA_URL"] = dojo_servers.url(REPLICA)
    return env


@pytest.fixture
def run_file(tmp_path, child_env):
    """Run a throwaway test file through the plugin in a child pytest: run_file(source, *args, env=...)."""

    def run(source: str, *args: str, env: dict[str, str] | None = None, impl: str = "solutions") -> ChildRun:
        path = tmp_path / "test_throwaway.py"
        path.write_text(textwrap.dedent(source))
        extra = [
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT),
            "-p",
            "dojo.harness.plugin",
            "-p",
            "no:xdist",
            *args,
        ]
        return run_pytest([str(path)], impl=impl, env=child_env if env is None else env, extra=extra)

    return run
