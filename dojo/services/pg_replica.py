"""A streaming replica for the tests: wait until it has replayed, pause its replay, and a pair of
servers of a test's own for failover.

Pausing replay is per server. Every test using the replica holds a shared advisory lock on the
primary and a test that pauses it holds the lock exclusively, so on a replica shared by several
test processes (a server given by URL) a pause never overlaps another test's use of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from .errors import ServiceUnavailable
from .pg_admin import Admin, mark, new_name, with_db

REPLICA_LOCK = 0x6B617461  # "kata": the advisory lock key of the replica's users
CATCH_UP_S = 20.0


class Replica:
    """The replica of the run's primary, seen from the harness (superuser connections to both)."""

    def __init__(self, primary: Admin, replica_url: str) -> None:
        self.primary = primary
        self.url = replica_url
        self.admin = Admin(replica_url)
        in_recovery = self.admin.execute("SELECT pg_is_in_recovery()")[0][0]
        if not in_recovery:
            raise ServiceUnavailable(f"{replica_url} is not a standby (pg_is_in_recovery() is false).")

    def acquire(self, exclusive: bool) -> None:
        fn = "pg_advisory_lock" if exclusive else "pg_advisory_lock_shared"
        self.primary.execute(f"SELECT {fn}(%s)", (REPLICA_LOCK,))

    def release(self, exclusive: bool) -> None:
        fn = "pg_advisory_unlock" if exclusive else "pg_advisory_unlock_shared"
        self.primary.execute(f"SELECT {fn}(%s)", (REPLICA_LOCK,))

    def primary_lsn(self) -> str:
        return self.primary.execute("SELECT pg_current_wal_lsn()::text")[0][0]

    def wait_for(self, lsn: str, timeout_s: float = CATCH_UP_S) -> None:
        """Until the replica has replayed the primary's WAL up to `lsn`."""
        wait_replay(self.admin, lsn, timeout_s)

    def catch_up(self, timeout_s: float = CATCH_UP_S) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        self.wait_for(self.primary_lsn(), timeout_s)

    def pause(self) -> None:
        """Stop replaying (the replica keeps receiving WAL); returns once replay is paused."""
        self.admin.execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.admin.execute("SELECT pg_get_wal_replay_pause_state()")[0][0] != "paused":
            if time.monotonic() > deadline:
                raise ServiceUnavailable("the replica did not pause its replay within 10 s.")
            time.sleep(0.005)

    def resume(self) -> None:
        self.admin.execute("SELECT pg_wal_replay_resume()")

    @property
    def paused(self) -> bool:
        return self.admin.execute("SELECT pg_is_wal_replay_paused()")[0][0]

    def lag_bytes(self) -> int:
        """How far the replica's replay is behind the primary's current WAL position."""
        lsn = self.primary_lsn()
        return int(self.admin.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", (lsn,))[0][0])

    def close(self) -> None:
        self.admin.close()


@dataclass
class FailoverPair:
    """A primary and its streaming replica of one test's own: the primary may be stopped."""

    primary_server: Any
    replica_server: Any
    dbname: str
    role: str
    password: str
    _stopped: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def primary_dsn(self) -> str:
        return with_db(self.primary_server.url, self.dbname, user=self.role, password=self.password)

    @property
    def replica_dsn(self) -> str:
        return with_db(self.replica_server.url, self.dbname, user=self.role, password=self.password)

    def stop_primary(self) -> None:
        """The primary dies (fast shutdown, clients cut off): only the replica is left."""
        self.primary_server.stop()
        self._stopped = True

    def close(self) -> None:
        self.replica_server.stop()
        if not self._stopped:
            self.primary_server.stop()


def start_failover_pair() -> FailoverPair:
    """A new embedded primary and its replica, with a database owned by a role that may promote."""
    from .embedded_postgres import start_postgres, start_standby

    primary = start_postgres()
    try:
        admin = Admin(primary.url)
        role, password, dbname = new_name("r"), new_name("p"), new_name("t")
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname), sql.Identifier(role)))
        admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(dbname), sql.Literal(mark())))
        admin.close()
        # pg_promote() is the superuser's alone unless granted (per database): the code under test fails over.
        with psycopg.connect(with_db(primary.url, dbname), autocommit=True) as db:
            grant = sql.SQL("GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO {}")
            db.execute(grant.format(sql.Identifier(role)))
        replica = start_standby(primary.url)
    except BaseException:
        primary.stop()
        raise
    pair = FailoverPair(primary, replica, dbname, role, password)
    wait_replayed(pair)
    return pair


def wait_replayed(pair: FailoverPair) -> None:
    with psycopg.connect(pair.primary_server.url, autocommit=True) as p:
        lsn = p.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    replica = Admin(pair.replica_server.url)
    try:
        wait_replay(replica, lsn)
    finally:
        replica.close()


def wait_replay(replica: Admin, lsn: str, timeout_s: float = CATCH_UP_S) -> None:
    """Until `replica` has replayed WAL up to `lsn`; one sentence if it does not in time."""
    deadline = time.monotonic() + timeout_s
    while not replica.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", (lsn,))[0][0]:
        if time.monotonic() > deadline:
            raise ServiceUnavailable(
                f"the replica at {replica.url} did not replay the primary's changes in {timeout_s:g} s."
            )
        time.sleep(0.005)
