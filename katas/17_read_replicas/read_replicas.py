"""Kata 17 — read replicas: send writes to the primary and reads to a streaming replica.

Fill in the Router below; `pytest katas/17_read_replicas` tells you what is missing.
`primary_dsn` and `replica_dsn` are conninfo strings for the same database on a primary and on
its streaming (hot standby) replica. Open your own psycopg connections to each.
"""

from __future__ import annotations

from typing import Any


class Router:
    """Routes statements between a primary and its streaming replica.

    Router(primary_dsn, replica_dsn, max_lag_bytes=1_000_000). Creating a Router must work even
    when the replica is unreachable (then every read goes to the primary). `close()` closes every
    connection the router opened, on both servers.
    """

    def __init__(self, primary_dsn: str, replica_dsn: str, max_lag_bytes: int = 1_000_000) -> None:
        raise NotImplementedError

    def session(self) -> Any:
        """A new session object for one user: `write` records in it, `read` consults it."""
        raise NotImplementedError

    def write(self, sql: str, params: Any = (), session: Any = None) -> int:
        """Run `sql` with `params` on the primary and commit it; return the number of rows it affected.

        If `session` is given, record in it the primary's WAL position after the write
        (`pg_current_wal_lsn()`), so that this session's later reads see the write.
        """
        raise NotImplementedError

    def read(self, sql: str, params: Any = (), session: Any = None) -> list[tuple]:
        """Run a query and return all its rows as tuples.

        On the replica, unless one of these holds — then on the primary:
        - the statement locks rows (FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE, FOR KEY SHARE, in
          any letter case and spacing): a locking read must never reach the replica;
        - `session` has written, and the replica has not yet replayed up to the WAL position
          recorded for that write (`pg_last_wal_replay_lsn()` on the replica);
        - the replica's replay lags the primary by more than `max_lag_bytes`;
        - the replica is unreachable, or its connection breaks: the read is answered by the
          primary instead of raising. Later reads use the replica again once it answers.
        """
        raise NotImplementedError

    def lag_bytes(self) -> int:
        """How many bytes of WAL the replica's replay is behind the primary's current position (>= 0)."""
        raise NotImplementedError

    @property
    def counts(self) -> dict:
        """A fresh snapshot {"primary": n, "replica": n}: the caller's statements (reads and writes)
        sent to each server so far. The router's own housekeeping queries are not counted."""
        raise NotImplementedError

    def failover(self) -> None:
        """The primary is gone: promote the replica (`pg_promote()`), return once it accepts writes,
        and from then on send every statement, reads and writes, to it."""
        raise NotImplementedError

    def close(self) -> None:
        """Close every connection the router opened."""
        raise NotImplementedError
