"""PgBouncer in front of a test's database, where a `pgbouncer` binary exists (Debian packages one).

Tests that use it are marked `optional`: on a machine without the binary they are skipped with the
reason, and left out of every count.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg

from . import ports, process, workdirs
from .embedded import EmbeddedServer
from .errors import ServiceUnavailable


def find_pgbouncer() -> str | None:
    return os.environ.get("KATAS_PGBOUNCER") or shutil.which("pgbouncer") or _sbin()


def _sbin() -> str | None:
    path = Path("/usr/sbin/pgbouncer")
    return str(path) if path.exists() else None


def start_pgbouncer(dsn: str, pool_mode: str = "transaction", pool_size: int = 5) -> tuple[EmbeddedServer, str]:
    """PgBouncer pooling connections to `dsn`'s database: (the server, the DSN to connect through it)."""
    binary = find_pgbouncer()
    if binary is None:
        raise ServiceUnavailable("no pgbouncer binary (Debian/Ubuntu: apt install pgbouncer).")
    target = psycopg.conninfo.conninfo_to_dict(dsn)
    user, password = target.get("user", "postgres"), target.get("password", "")
    uid = gid = None
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        from .embedded_postgres import _unprivileged_user

        uid, gid = _unprivileged_user()
    workdir = workdirs.make("pgbouncer", shared=uid is not None)
    if uid is not None:
        os.chown(workdir, uid, gid)
    (workdir / "users.txt").write_text(f'"{user}" "{password}"\n')
    log = workdir / "pgbouncer.log"
    log.touch()
    if uid is not None:
        for path in (workdir / "users.txt", log):
            os.chown(path, uid, gid)

    def spawn(port: int) -> subprocess.Popen:
        ini = workdir / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"{target['dbname']} = host={target.get('host', '127.0.0.1')} port={target.get('port', 5432)} "
            f"dbname={target['dbname']}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = plain\nauth_file = {workdir / 'users.txt'}\n"
            f"pool_mode = {pool_mode}\ndefault_pool_size = {pool_size}\nmax_client_conn = 500\n"
            "server_reset_query = DISCARD ALL\nignore_startup_parameters = extra_float_digits,options\n"
        )
        if uid is not None:
            os.chown(ini, uid, gid)
        return process.spawn([binary, str(ini)], log, uid=uid, gid=gid)

    try:
        proc, port = ports.start_on_free_port(spawn, log, "pgbouncer")
    except ServiceUnavailable:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    server = EmbeddedServer(f"postgresql://{user}@127.0.0.1:{port}/{target['dbname']}", proc, workdir)
    through = psycopg.conninfo.make_conninfo(dsn, host="127.0.0.1", port=str(port))
    return server, through
