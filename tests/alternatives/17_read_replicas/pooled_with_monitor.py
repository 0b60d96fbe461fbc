"""Kata 17, another design: connection pools per server and a background monitor that samples the
replica's replay position every 50 ms; reads decide from the last sample, never waiting on the replica."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

SAMPLE_EVERY_S = 0.05
LOCK_CLAUSES = (("for", "update"), ("for", "share"), ("for", "no", "key", "update"), ("for", "key", "share"))
POSITION = "SELECT pg_wal_lsn_diff({}, '0/0')::bigint"


def locks_rows(sql: str) -> bool:
    words = re.findall(r"[a-z_]+", sql.lower())
    return any(tuple(words[i : i + len(c)]) == c for c in LOCK_CLAUSES for i in range(len(words)))


class Session:
    def __init__(self) -> None:
        self.written_up_to = 0


class Router:
    def __init__(self, primary_dsn: str, replica_dsn: str, max_lag_bytes: int = 1_000_000) -> None:
        self.replica_dsn = replica_dsn
        self.max_lag_bytes = max_lag_bytes
        self._writes = self._pool(primary_dsn)
        self._reads = self._pool(replica_dsn)
        self._counts: Counter[str] = Counter(primary=0, replica=0)
        self._counting = threading.Lock()
        self._replayed: int | None = None  # None: the replica did not answer the last sample
        self._lag = 0
        self._promoted = False
        self._stop = threading.Event()
        self._probe: psycopg.Connection | None = None  # the monitor's own connection to the replica
        self._sample()
        self._monitor = threading.Thread(target=self._watch, name="replica-monitor", daemon=True)
        self._monitor.start()

    @staticmethod
    def _pool(dsn: str) -> ConnectionPool:
        return ConnectionPool(dsn, min_size=0, max_size=4, kwargs={"autocommit": True}, timeout=2, open=True)

    def session(self) -> Session:
        return Session()

    def write(self, sql: str, params: Any = (), session: Session | None = None) -> int:
        self._count("primary")
        with self._writes.connection() as conn:
            rowcount = conn.execute(sql, params).rowcount
            position = conn.execute(POSITION.format("pg_current_wal_lsn()")).fetchone()[0]
        if session is not None:
            session.written_up_to = max(session.written_up_to, int(position))
        return rowcount

    def read(self, sql: str, params: Any = (), session: Session | None = None) -> list[tuple]:
        if self._replica_will_do(sql, session):
            try:
                self._count("replica")
                with self._reads.connection() as conn:
                    return conn.execute(sql, params).fetchall()
            except (psycopg.OperationalError, psycopg.errors.AdminShutdown):
                self._replayed = None  # until the monitor sees it again
        self._count("primary")
        with self._writes.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def lag_bytes(self) -> int:
        with self._writes.connection() as p, psycopg.connect(self.replica_dsn, connect_timeout=2) as r:
            head = p.execute(POSITION.format("pg_current_wal_lsn()")).fetchone()[0]
            replayed = r.execute(POSITION.format("pg_last_wal_replay_lsn()")).fetchone()[0]
        return max(0, int(head) - int(replayed))

    @property
    def counts(self) -> dict:
        with self._counting:
            return {"primary": self._counts["primary"], "replica": self._counts["replica"]}

    def failover(self) -> None:
        self._halt_monitor()
        with psycopg.connect(self.replica_dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_promote()")  # waits (up to 60 s) until the promotion is done
        old, self._writes = self._writes, self._pool(self.replica_dsn)
        self._promoted = True
        old.close(timeout=0)

    def close(self) -> None:
        self._halt_monitor()
        self._reads.close()
        self._writes.close()

    # --- the monitor ---------------------------------------------------------------------------------

    def _replica_will_do(self, sql: str, session: Session | None) -> bool:
        replayed = self._replayed
        if self._promoted or replayed is None or locks_rows(sql):
            return False
        if session is not None and replayed < session.written_up_to:
            return False
        return self._lag <= self.max_lag_bytes

    def _count(self, where: str) -> None:
        with self._counting:
            self._counts[where] += 1

    def _sample(self) -> None:
        try:
            if self._probe is None or self._probe.closed:
                self._probe = psycopg.connect(self.replica_dsn, autocommit=True, connect_timeout=1)
            replayed = int(self._probe.execute(POSITION.format("pg_last_wal_replay_lsn()")).fetchone()[0])
            with self._writes.connection() as p:
                head = int(p.execute(POSITION.format("pg_current_wal_lsn()")).fetchone()[0])
        except psycopg.Error:
            if self._probe is not None:
                self._probe.close()
                self._probe = None
            self._replayed = None
            return
        self._lag, self._replayed = max(0, head - replayed), replayed

    def _watch(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self._sample()

    def _halt_monitor(self) -> None:
        self._stop.set()
        if self._monitor.is_alive():
            self._monitor.join(5)
        if self._probe is not None:
            self._probe.close()
            self._probe = None
