"""Kata 17 — read replicas: writes to the primary, reads to a streaming replica (reference solution)."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg

# SELECT … FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE: row locks exist only on the
# primary (a hot standby refuses them), so such a read must go there.
LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)
RETRY_REPLICA_S = 1.0  # after the replica failed, try it again this much later


def lsn(text: str) -> int:
    """A WAL position ('16/B374D848') as a number: comparable, and subtractable into bytes."""
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass
class Session:
    """One user's view: the primary's WAL position right after their last write."""

    wal_lsn: int = 0


class Router:
    def __init__(self, primary_dsn: str, replica_dsn: str, max_lag_bytes: int = 1_000_000) -> None:
        self.replica_dsn = replica_dsn
        self.max_lag_bytes = max_lag_bytes
        self._primary = psycopg.connect(primary_dsn, autocommit=True)
        self._replica: psycopg.Connection | None = None
        self._replica_failed_at = float("-inf")
        self._promoted = False
        self._counts = {"primary": 0, "replica": 0}
        self._lock = threading.Lock()  # the counts
        self._connecting = threading.Lock()  # one replica connection, even when threads ask at once

    def session(self) -> Session:
        return Session()

    def write(self, sql: str, params: Any = (), session: Session | None = None) -> int:
        rowcount = self._run("primary", self._primary, sql, params).rowcount
        # Autocommit: committed, and (synchronous_commit) its WAL written: this position covers it.
        position = lsn(self._primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0])
        if session is not None:
            session.wal_lsn = max(session.wal_lsn, position)
        return rowcount

    def read(self, sql: str, params: Any = (), session: Session | None = None) -> list[tuple]:
        replica = None if self._promoted or LOCKING.search(sql) else self._fresh_enough_replica(session)
        if replica is not None:
            try:
                return self._run("replica", replica, sql, params).fetchall()
            except psycopg.OperationalError:
                self._drop_replica()  # it went away mid-read: the primary answers instead
        return self._run("primary", self._primary, sql, params).fetchall()

    def lag_bytes(self) -> int:
        replica = self._replica_connection()
        if replica is None:
            raise psycopg.OperationalError("the replica is unreachable")
        return max(0, self._primary_lsn() - self._replay_lsn(replica))

    @property
    def counts(self) -> dict:
        with self._lock:
            return dict(self._counts)

    def failover(self) -> None:
        promoted = psycopg.connect(self.replica_dsn, autocommit=True)
        promoted.execute("SELECT pg_promote(wait => true, wait_seconds => 60)")
        old, self._primary = self._primary, promoted
        self._promoted = True
        old.close()
        self._drop_replica()

    def close(self) -> None:
        self._primary.close()
        self._drop_replica()

    # --- housekeeping (not counted) ------------------------------------------------------------------

    def _run(self, where: str, conn: psycopg.Connection, sql: str, params: Any) -> psycopg.Cursor:
        with self._lock:
            self._counts[where] += 1
        return conn.execute(sql, params)

    def _fresh_enough_replica(self, session: Session | None) -> psycopg.Connection | None:
        """The replica, if it is reachable, has replayed the session's last write and lags little."""
        replica = self._replica_connection()
        if replica is None:
            return None
        try:
            replayed = self._replay_lsn(replica)
        except psycopg.OperationalError:
            self._drop_replica()
            return None
        if session is not None and replayed < session.wal_lsn:
            return None
        if self._primary_lsn() - replayed > self.max_lag_bytes:
            return None
        return replica

    def _replica_connection(self) -> psycopg.Connection | None:
        with self._connecting:
            if self._replica is None or self._replica.closed:
                if time.monotonic() - self._replica_failed_at < RETRY_REPLICA_S:
                    return None
                try:
                    self._replica = psycopg.connect(self.replica_dsn, autocommit=True, connect_timeout=2)
                except psycopg.OperationalError:
                    self._replica_failed_at = time.monotonic()
                    return None
            return self._replica

    def _drop_replica(self) -> None:
        if self._replica is not None:
            self._replica.close()
            self._replica = None
            self._replica_failed_at = time.monotonic()

    def _primary_lsn(self) -> int:
        return lsn(self._primary.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0])

    @staticmethod
    def _replay_lsn(replica: psycopg.Connection) -> int:
        return lsn(replica.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()[0])
