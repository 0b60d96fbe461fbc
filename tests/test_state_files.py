"""What dojo keeps on disk survives damage, and costs no space it need not."""

from __future__ import annotations

import os
import subprocess
import sys

from dojo import jsonfile
from dojo.catalog import PACKAGE_ROOT as ROOT
from dojo.services import embedded_postgres


def test_a_damaged_results_file_falls_back_to_its_last_good_copy(tmp_path):
    path = tmp_path / ".dojo" / "results.json"
    jsonfile.write_atomic(path, {"katas": {"a": {"outcome": "passed"}}})
    jsonfile.write_atomic(path, {"katas": {"a": {"outcome": "passed"}, "b": {"outcome": "failed"}}})
    path.write_text('{"katas": {"a": ')  # cut short: a full disk, a killed editor
    data, problem = jsonfile.read(path)
    assert data == {"katas": {"a": {"outcome": "passed"}}}, "the last good copy was not used"
    assert "last good copy" in problem


def test_dojo_list_keeps_progress_when_the_results_file_is_damaged(tmp_path):
    project = tmp_path / "project"
    (project / "katas").mkdir(parents=True)
    (project / "katas" / "catalog.toml").write_text((ROOT / "katas" / "catalog.toml").read_text())
    results = project / ".dojo" / "results.json"
    entry = {"outcome": "failed", "kata": "03_lock", "level": 1, "message": "x", "when": 1.0}
    jsonfile.write_atomic(results, {"katas": {"katas/03_lock/test_lock.py::TestCore::test_x": entry}})
    jsonfile.write_atomic(results, {"katas": {"katas/03_lock/test_lock.py::TestCore::test_x": entry}})
    results.write_text("{oops")
    done = subprocess.run(
        [sys.executable, "-m", "dojo", "list"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0 and "last good copy" in done.stderr, done.stderr


def test_postgres_binaries_for_another_user_are_hard_links_and_old_copies_go(tmp_path, monkeypatch):
    """As root PostgreSQL runs as `nobody` from a copy of the binaries it can reach: hard links cost
    nothing, and copies of other installations that no server uses are removed."""
    monkeypatch.setenv("KATAS_TMPDIR", str(tmp_path))
    bindir = embedded_postgres.find_postgres_bindir()
    stale = tmp_path / "katas-pgbin-another-install"
    (stale / "bin").mkdir(parents=True)
    (stale / "bin" / "postgres").write_text("old")
    copy = embedded_postgres._readable_copy(bindir)
    assert (copy / "postgres").is_file()
    if os.stat(bindir / "postgres").st_dev == os.stat(tmp_path).st_dev:
        assert os.stat(copy / "postgres").st_ino == os.stat(bindir / "postgres").st_ino, "the binary was copied"
    assert not stale.exists(), "a copy of another installation was left behind"
