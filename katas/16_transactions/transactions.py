"""Kata 16 — transactions and isolation: money that never appears or vanishes, a rota never left empty.

Fill in every function below; `pytest katas/16_transactions` tells you what is missing.
`conn` is a psycopg 3 Connection (autocommit off, default row factory) to a database holding the
given tables:

    accounts(id int primary key, balance_cents bigint not null, version int not null default 0)
    doctors(id int primary key, on_call bool not null)

A function that writes commits its work before returning; one that raises leaves nothing changed,
no row locked and no transaction open on `conn` (roll back). The tests call these functions from
several connections at once and step them statement by statement, so every race happens every run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class InsufficientFunds(Exception):
    """The source account would go below zero."""


class Conflict(Exception):
    """An optimistic transfer found a row changed since it was read."""


def transfer(conn, from_id: int, to_id: int, cents: int) -> None:
    """Move `cents` from account `from_id` to account `to_id` (pessimistic locking).

    Both balances change or neither does, committed together; each changed row's `version`
    goes up by one. If the source would go below zero (a balance may reach exactly zero), raise
    InsufficientFunds and change nothing. A transfer to or from an account that does not exist
    moves no money (raising any exception is fine). Correct however many transfers run at once:
    two transfers from one account never overdraw it, two into one account both arrive, and
    transfers in opposite directions never deadlock (PostgreSQL would kill one with 40P01).
    """
    raise NotImplementedError


def transfer_optimistic(conn, from_id: int, to_id: int, cents: int) -> None:
    """Move `cents` like `transfer`, with optimistic locking on the `version` column.

    Read both rows without locking them (no SELECT … FOR UPDATE: another transaction may change
    them while you decide); then write, but only if both rows still have the versions you read.
    If either changed since it was read, raise Conflict and change nothing. InsufficientFunds,
    missing accounts and the version increments are as for `transfer`.
    """
    raise NotImplementedError


def run_serializable(dsn: str, fn: Callable[..., T], max_attempts: int = 5) -> T:
    """Run fn(conn) in a SERIALIZABLE transaction on a connection of its own, commit, return fn's result.

    If the transaction fails with a serialization failure (SQLSTATE 40001) or a deadlock (40P01)
    — raised by one of fn's statements or by the commit — roll back and run fn again from the
    start, up to `max_attempts` times in all; after the last failure, raise that last error.
    Any other error (a unique violation, a bug in fn) is raised at once, without a retry.
    Between attempts, sleep: the pause grows (the tests expect the pause before the fourth retry
    to be at least twice the pause before the first, and at least 30 ms in total over four
    retries; jitter on top is welcome). Close the connection before returning, also on error.
    """
    raise NotImplementedError


def go_off_call(conn, doctor_id: int) -> bool:
    """Take doctor `doctor_id` off call, only if another doctor stays on call; True if they left.

    Two doctors leaving at the same time never leave nobody on call (write skew): of the last two,
    exactly one leaves. With three on call, two leaving at once both leave (return True) — a
    serialization failure along the way is retried here, never raised to the caller.
    """
    raise NotImplementedError
