"""The services layer: which provider serves, what it refuses to touch, and what it leaves behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis

from dojo.services import Servers, ServiceUnavailable, docker, embedded, from_environment, process, resident
from dojo.services.pg_isolation import PostgresDatabases
from dojo.services.redis_isolation import redis_db_url

ROOT = Path(__file__).resolve().parent.parent

USES_BOTH = """
    import pytest

    def test_uses_redis_and_postgres(r, conn):
        r.set("k", 1)
        conn.execute("CREATE TABLE t (id int)")
"""


class TestProviderChoice:
    def test_a_given_url_is_used_and_nothing_is_started(self):
        servers = Servers(urls={"redis": "redis://example.invalid:6379/0"})
        assert servers.url("redis") == "redis://example.invalid:6379/0"
        assert servers.mode_of("redis") == "url"

    def test_url_mode_without_a_url_names_the_variable_to_set(self):
        with pytest.raises(ServiceUnavailable, match="KATAS_POSTGRES_URL is not set"):
            Servers(mode="url").url("postgres")

    def test_an_unknown_mode_is_refused_in_one_sentence(self):
        with pytest.raises(ServiceUnavailable, match="is not one of embedded, docker, url"):
            Servers(mode="kubernetes")

    def test_docker_mode_without_an_engine_says_so(self, monkeypatch):
        monkeypatch.setattr(docker, "engine_answers", lambda: False)
        with pytest.raises(ServiceUnavailable, match="no Docker engine answers"):
            Servers(mode="docker").url("redis")

    def test_with_nothing_available_the_message_lists_the_three_ways(self, monkeypatch):
        monkeypatch.setattr(embedded, "available", lambda: {"redis": False, "postgres": False})
        monkeypatch.setattr(docker, "engine_answers", lambda: False)
        with pytest.raises(ServiceUnavailable) as failure:
            Servers().url("redis")
        message = str(failure.value)
        assert "embedded" in message and "docker" in message and "KATAS_REDIS_URL" in message

    def test_a_failure_is_remembered_not_retried_for_every_test(self, monkeypatch):
        calls = []
        monkeypatch.setattr(embedded, "available", lambda: calls.append(1) or {"redis": False, "postgres": False})
        monkeypatch.setattr(docker, "engine_answers", lambda: False)
        servers = Servers()
        for _ in range(3):
            with pytest.raises(ServiceUnavailable):
                servers.url("redis")
        assert len(calls) == 1

    def test_environment_and_options_pick_the_mode(self, monkeypatch):
        monkeypatch.setenv("KATAS_SERVICES", "url")
        monkeypatch.setenv("KATAS_REDIS_URL", "redis://a:1/0")
        assert from_environment().url("redis") == "redis://a:1/0"
        assert from_environment(redis="redis://b:2/0").url("redis") == "redis://b:2/0"

    def test_resident_servers_from_dojo_up_are_used_while_alive(self, tmp_path):
        resident.write(
            tmp_path,
            {
                "redis": {"url": "redis://127.0.0.1:1/0", "pid": os.getpid()},
                "postgres": {"url": "postgresql://x", "pid": 2**22 + 12345},  # no such process
            },
        )
        assert resident.read(tmp_path) == {"redis": "redis://127.0.0.1:1/0"}
        (tmp_path / ".dojo" / "servers.json").write_text("{not json")
        assert resident.read(tmp_path) == {}

    def test_a_run_without_servers_fails_each_test_in_one_line(self, run_file):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KATAS_", "PYTEST_"))}
        env["KATAS_SERVICES"] = "docker"
        env["DOCKER_HOST"] = "tcp://127.0.0.1:9"  # nothing answers there
        run = run_file(USES_BOTH, env=env)
        assert run.returncode == 1
        assert "no Docker engine answers" in run.output
        assert "Traceback" not in run.output and "def url(" not in run.output


class TestSafety:
    def test_a_redis_database_holding_foreign_keys_is_refused_and_kept(self, run_file, child_env):
        url = redis_db_url(child_env["KATAS_REDIS_URL"].rsplit("/", 1)[0] + "/0", 12)
        outsider = redis.Redis.from_url(url, decode_responses=True)
        key = f"someone-else:{uuid.uuid4()}"
        outsider.set(key, "precious")
        try:
            run = run_file(USES_BOTH, env={**child_env, "KATAS_REDIS_URL": url})
            assert run.returncode == 1
            assert "the suite did not write" in run.output and "nothing was deleted" in run.output
            assert outsider.get(key) == "precious", "the suite deleted a key it did not write"
        finally:
            outsider.delete(key)  # ours: written by this test
            outsider.close()

    def test_keys_a_killed_run_left_are_removed_by_the_next_run(self, run_file, child_env):
        """A run that ends mid-test (os._exit, kill -9) never flushes its database; on a server that
        outlives it (URL mode, `dojo up`) the next run on this host empties it instead of refusing it."""
        dies = "import os\n\ndef test_dies_mid_test(r):\n    r.set('left:behind', 1)\n    os._exit(3)\n"
        assert run_file(dies).returncode == 3
        db = redis.Redis.from_url(child_env["KATAS_REDIS_URL"], decode_responses=True)
        try:
            assert db.keys() == ["left:behind"], "the killed run should have left its key"
            run = run_file(USES_BOTH)
            assert run.outcomes() == {"test_uses_redis_and_postgres": "passed"}, run.output[-2000:]
            assert db.dbsize() == 0
        finally:
            db.close()

    def test_postgres_databases_the_suite_did_not_create_are_never_dropped(self, dojo_servers, run_file):
        admin_url = dojo_servers.url("postgres")
        name = f"someone_else_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                assert run_file(USES_BOTH).returncode == 0
                dbs = PostgresDatabases(admin_url)
                with pytest.raises(ValueError, match="did not create"):
                    dbs.drop(name)
                dbs.close()
                exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                assert exists, "a database the suite did not create was dropped"
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')  # ours: created by this test

    def test_the_suite_leaves_no_database_of_its_own_behind(self, dojo_servers, run_file):
        with psycopg.connect(dojo_servers.url("postgres"), autocommit=True) as admin:
            before = {r[0] for r in admin.execute("SELECT datname FROM pg_database")}
            assert run_file(USES_BOTH).returncode == 0
            after = {r[0] for r in admin.execute("SELECT datname FROM pg_database")}
        assert after <= before, f"left behind: {after - before}"


class TestIsolation:
    def test_each_test_starts_from_an_empty_redis_and_a_fresh_database(self, run_file):
        source = """
            import pytest

            @pytest.mark.parametrize("round", [1, 2, 3])
            def test_sees_nothing_from_the_previous_test(r, conn, round):
                assert r.dbsize() == 0
                tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
                assert tables == 0
                r.set("left:behind", round)
                conn.execute("CREATE TABLE leftover (id int)")
                conn.commit()
        """
        run = run_file(source)
        assert run.returncode == 0, run.output[-2000:]
        assert [t.outcome for t in run.tests.values()] == ["passed"] * 3

    def test_postgres_has_the_extensions_later_katas_need(self, conn):
        installed = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
        assert {"pg_stat_statements", "pg_trgm"} <= installed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("interrupt", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_no_server_survives_an_interrupted_run(tmp_path, interrupt):
    ready = tmp_path / "ready"
    test = tmp_path / "test_hang.py"
    test.write_text(
        f"import time\ndef test_hang(r, conn):\n    open({str(ready)!r}, 'w').close()\n    time.sleep(60)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KATAS_", "PYTEST_"))}
    env["KATAS_SERVICES"] = "embedded"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        str(test),
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(ROOT),
        "-p",
        "dojo.harness.plugin",
        "-p",
        "no:cacheprovider",
        "--dojo-results=none",
        "-q",
    ]
    log = open(tmp_path / "child.log", "w")
    # Ctrl-C as in a terminal: a run started as a background job (CI, `cmd &`) inherits SIGINT ignored.
    child = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert child.poll() is None, "the child run ended early: " + (tmp_path / "child.log").read_text()[-1500:]
            assert time.monotonic() < deadline, "servers did not come up within 30 s"
            time.sleep(0.05)
        servers = process.descendants(child.pid)
        names = {Path(f"/proc/{p}/exe").resolve().name for p in servers if process.alive(p)}
        assert {"redis-server", "postgres"} <= names, f"expected embedded servers under the run, found {names}"
        child.send_signal(interrupt)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(
                "the run did not end within 30 s of the signal: " + (tmp_path / "child.log").read_text()[-2000:]
            )
        deadline = time.monotonic() + 20
        while any(process.alive(p) for p in servers) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [p for p in servers if process.alive(p)]
        assert not survivors, f"server processes outlived the run: {survivors}"
        if interrupt == signal.SIGINT:
            output = (tmp_path / "child.log").read_text()
            assert "KeyboardInterrupt" in output and "Traceback" not in output, output
            assert len(output.splitlines()) < 20, f"Ctrl-C should end the run in a few lines:\n{output}"
    finally:
        if child.poll() is None:
            child.kill()


class TestLeastPrivilegeInRedis:
    def test_code_under_test_cannot_run_server_wide_commands(self, r, dojo_servers):
        import redis as redis_py

        for command in (
            ("FLUSHALL",),
            ("CONFIG", "SET", "maxmemory", "1"),
            ("SHUTDOWN", "NOSAVE"),
            ("SWAPDB", "0", "1"),
        ):
            with pytest.raises(redis_py.exceptions.NoPermissionError):
                r.execute_command(*command)
        r.set("mine", 1)
        r.flushdb()  # its own test's keys: allowed
        admin = redis_py.Redis.from_url(dojo_servers.url("redis"))
        assert admin.ping() and admin.config_get("maxmemory")["maxmemory"] != "1"
        admin.close()

    def test_a_refused_command_is_one_sentence(self, run_file):
        run = run_file("def test_wipes_everything(r):\n    r.flushall()\n")
        message = next(iter(run.tests.values())).message
        assert message.startswith("FLUSHALL is not allowed here: it empties every database of the server"), message
        assert "Traceback" not in run.output


def test_a_server_killed_mid_run_is_one_sentence_and_the_run_stops(run_file):
    source = """
        import os, signal, time
        from pathlib import Path
        import pytest
        from dojo.services import process

        @pytest.mark.parametrize("n", range(20))
        def test_uses_redis(r, n):
            if n == 2:
                servers = [p for p in process.descendants(os.getpid()) if Path(f"/proc/{p}/exe").resolve().name == "redis-server"]
                os.kill(servers[0], signal.SIGKILL)
                while process.alive(servers[0]):
                    time.sleep(0.01)
            r.set("k", n)
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KATAS_", "PYTEST_"))}
    env["KATAS_SERVICES"] = "embedded"
    run = run_file(source, env=env)
    outcomes = [t.outcome for t in run.tests.values()]
    assert outcomes[:3] == ["passed", "passed", "failed"], run.output[-2000:]
    message = list(run.tests.values())[2].message
    assert message.startswith("the Redis server stopped answering during this test"), message
    assert "17 test(s) after test_uses_redis[2] were not run" in run.output, run.output[-2000:]
    assert run.output.count("Connection refused") <= 1 and len(run.output.splitlines()) < 60, run.output


def test_postgres_starts_with_a_private_temp_dir(run_file, tmp_path):
    """CI runners and sandboxes often set TMPDIR to a mode-700 directory: as root, PostgreSQL runs as
    `nobody`, which cannot reach it; the harness puts PostgreSQL's files where every user can."""
    private = tmp_path / "private-tmp"
    private.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KATAS_", "PYTEST_"))}
    env.update(KATAS_SERVICES="embedded", TMPDIR=str(private))
    run = run_file("def test_uses_postgres(conn):\n    assert conn.execute('SELECT 1').fetchone() == (1,)\n", env=env)
    assert run.outcomes() == {"test_uses_postgres": "passed"}, run.output[-2000:]


def test_results_of_concurrent_runs_are_all_kept(tmp_path):
    """Several processes recording at once (pytest -n, dojo watch and a terminal run) lose no update."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dojo.harness.recorder import merge\n"
        "from dojo.outcomes import TestResult\n"
        "who = sys.argv[1]\n"
        "for i in range(50):\n"
        "    merge(Path(sys.argv[2]), 'katas', [TestResult(f'katas/x/test_x.py::t{who}_{i}')])\n"
    )
    target = tmp_path / "results.json"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n), str(target)], cwd=ROOT) for n in range(4)]
    assert all(p.wait(60) == 0 for p in procs)
    from dojo.harness.recorder import load

    assert len(load(target, "katas")) == 200


def dojo_clean(*args: str) -> subprocess.CompletedProcess:
    """`dojo clean` on the server its arguments name and no other (this run's KATAS_* URLs are left
    out), printed as wide as a table needs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATAS_")} | {"COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "dojo", "clean", *args], cwd=ROOT, capture_output=True, text=True, env=env
    )


def test_dojo_clean_lists_and_removes_what_killed_runs_left_and_nothing_else(tmp_path):
    """URL mode: a run killed on another machine leaves its database; `dojo clean` shows it, and
    `--yes` removes it — never a database or a Redis user the suite did not create."""
    url = os.environ.get("KATAS_POSTGRES_URL")
    from dojo.services.embedded_postgres import start_postgres

    server = None if url else start_postgres()
    url = url or server.url
    admin = psycopg.connect(url, autocommit=True)
    left, foreign = f"katas_elsewhere_{os.getpid()}", f"precious_{os.getpid()}"
    try:
        for name in (left, foreign):
            admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f"COMMENT ON DATABASE \"{left}\" IS 'katas run another-host:4242 — killed'")
        listing = dojo_clean("--postgres-url", url)
        assert listing.returncode == 0, listing.stderr
        assert left in listing.stdout and "another-host:4242" in listing.stdout and foreign not in listing.stdout
        done = dojo_clean("--postgres-url", url, "--yes")
        assert done.returncode == 0 and "Removed" in done.stdout, done.stdout + done.stderr
        names = {r[0] for r in admin.execute("SELECT datname FROM pg_database")}
        assert left not in names and foreign in names
    finally:
        for name in (left, foreign):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
        if server is not None:
            server.stop()


def test_dojo_clean_removes_a_redis_user_another_machine_left_with_its_keys(dojo_servers):
    """The Redis side of `dojo clean`: a learner user of a run elsewhere is listed with its database;
    `--yes` drops it and empties that database — never a user or a database the suite did not use."""
    from dojo.services.pg_admin import HOST_TAG

    server = dojo_servers.url("redis").rsplit("/", 1)[0]
    free = []
    for n in (10, 11, 14, 15):
        with redis.Redis.from_url(f"{server}/{n}") as db:
            free += [n] if db.dbsize() == 0 else []
    assert free, "no empty Redis database among 10, 11, 14 and 15 to play a killed run's"
    tag = "0000" if HOST_TAG != "0000" else "ffff"
    user, outsider = f"katas-{tag}-4242-db{free[0]}", f"someone-else-{os.getpid()}"
    left = redis.Redis.from_url(f"{server}/{free[0]}", decode_responses=True)
    try:
        left.acl_setuser(user, enabled=False)
        left.acl_setuser(outsider, enabled=False)
        left.set("left:behind", 1)
        listing = dojo_clean("--redis-url", server + "/0")
        assert f"user of db {free[0]}" in listing.stdout and outsider not in listing.stdout, listing.stdout
        done = dojo_clean("--redis-url", server + "/0", "--yes")
        assert done.returncode == 0 and "Removed" in done.stdout, done.stdout + done.stderr
        assert user not in left.acl_users() and outsider in left.acl_users() and left.dbsize() == 0
    finally:
        left.acl_deluser(user, outsider)  # ours: made by this test
        left.delete("left:behind")
        left.close()


MISBEHAVIOUR = """
    import subprocess
    import pytest

    FOREIGN_DB = {foreign_db!r}

    def test_flushall(r):
        r.flushall()

    def test_config_set(r):
        r.config_set("maxmemory", 1)

    def test_shutdown(r):
        r.shutdown(nosave=True)

    def test_drop_a_foreign_database(conn):
        conn.autocommit = True
        conn.execute(f'DROP DATABASE "{{FOREIGN_DB}}"')

    def test_alter_system(conn):
        conn.autocommit = True
        conn.execute("ALTER SYSTEM SET statement_timeout = '1ms'")
        conn.execute("SELECT pg_reload_conf()")

    def test_terminate_every_session(conn):
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()")

    def test_spawn_and_forget():
        subprocess.Popen(["sleep", "600"], start_new_session=True)

    def test_an_innocent_test_after_all_that(r, conn):
        r.set("k", 1)
        assert conn.execute("SELECT 1").fetchone() == (1,)
"""


def test_misbehaving_code_leaves_what_it_does_not_own_intact(run_file, child_env):
    """Against the run's servers (the machine's own in CI's URL pass), with a foreign Redis key and a
    foreign database present: nothing the code under test tries reaches them."""
    foreign_url = redis_db_url(child_env["KATAS_REDIS_URL"].rsplit("/", 1)[0] + "/0", 13)
    outsider = redis.Redis.from_url(foreign_url, decode_responses=True)
    key, foreign_db = f"someone-else:{uuid.uuid4()}", f"someone_else_{uuid.uuid4().hex[:8]}"
    outsider.set(key, "precious")
    admin = psycopg.connect(child_env["KATAS_POSTGRES_URL"], autocommit=True)
    admin.execute(f'CREATE DATABASE "{foreign_db}"')
    maxmemory = outsider.config_get("maxmemory")["maxmemory"]
    try:
        run = run_file(MISBEHAVIOUR.format(foreign_db=foreign_db))
        outcomes = run.outcomes()
        assert outcomes["test_an_innocent_test_after_all_that"] == "passed", run.output[-3000:]
        for refused in (
            "test_flushall",
            "test_config_set",
            "test_shutdown",
            "test_drop_a_foreign_database",
            "test_alter_system",
        ):
            assert outcomes[refused] == "failed", f"{refused} was not refused"
        assert outsider.get(key) == "precious", "a foreign key was deleted"
        assert outsider.config_get("maxmemory")["maxmemory"] == maxmemory, "the server's configuration changed"
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (foreign_db,)).fetchone()
        assert admin.execute("SHOW statement_timeout").fetchone()[0] == "0"
    finally:
        outsider.delete(key)  # ours: written by this test
        outsider.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{foreign_db}"')  # ours: created by this test
        admin.close()
