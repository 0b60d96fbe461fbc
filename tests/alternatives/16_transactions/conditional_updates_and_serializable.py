"""A correct kata 16 written unlike the reference: no SELECT … FOR UPDATE anywhere.

transfer: guarded UPDATEs in id order (the debit's WHERE checks the balance); transfer_optimistic:
REPEATABLE READ, one read per row, a write per row, 40001 turned into Conflict; run_serializable:
an autocommit connection with explicit BEGIN/COMMIT, equal-jitter backoff; go_off_call: SERIALIZABLE
with its own retry loop.
"""

import random
import time

import psycopg
from psycopg import errors


class InsufficientFunds(Exception):
    pass


class Conflict(Exception):
    pass


def _exists(conn, account):
    return conn.execute("SELECT 1 FROM accounts WHERE id = %s", (account,)).fetchone() is not None


def transfer(conn, from_id, to_id, cents):
    try:
        for account in sorted({from_id, to_id}):  # the same order whatever the direction
            if account == from_id:
                debited = conn.execute(
                    "UPDATE accounts SET balance_cents = balance_cents - %s, version = version + 1 "
                    "WHERE id = %s AND balance_cents >= %s",
                    (cents, from_id, cents),
                ).rowcount
                if not debited:
                    raise InsufficientFunds(from_id) if _exists(conn, from_id) else LookupError(from_id)
            else:
                credited = conn.execute(
                    "UPDATE accounts SET balance_cents = balance_cents + %s, version = version + 1 WHERE id = %s",
                    (cents, to_id),
                ).rowcount
                if not credited:
                    raise LookupError(to_id)
        conn.commit()
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise


def transfer_optimistic(conn, from_id, to_id, cents):
    try:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        read = {}
        for account in (from_id, to_id):
            row = conn.execute("SELECT balance_cents, version FROM accounts WHERE id = %s", (account,)).fetchone()
            if row is None:
                raise LookupError(account)
            read[account] = row
        if read[from_id][0] < cents:
            raise InsufficientFunds(from_id)
        for account, delta in sorted(((from_id, -cents), (to_id, cents))):
            changed = conn.execute(
                "UPDATE accounts SET balance_cents = balance_cents + %s, version = version + 1 "
                "WHERE id = %s AND version = %s",
                (delta, account, read[account][1]),
            ).rowcount
            if changed != 1:
                raise Conflict(account)
        conn.commit()
    except errors.SerializationFailure as exc:
        conn.rollback()
        raise Conflict(str(exc)) from exc
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise


def run_serializable(dsn, fn, max_attempts=5):
    conn = psycopg.connect(dsn, autocommit=True)
    try:
        delay = 0.01
        for attempt in range(max_attempts):
            conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
                return result
            except (errors.SerializationFailure, errors.DeadlockDetected):
                conn.execute("ROLLBACK")
                if attempt + 1 == max_attempts:
                    raise
            except BaseException:
                if not conn.closed:
                    conn.execute("ROLLBACK")
                raise
            time.sleep(delay / 2 + random.uniform(0, delay / 2))
            delay *= 2
    finally:
        conn.close()


def go_off_call(conn, doctor_id):
    for _ in range(20):
        try:
            conn.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            (others,) = conn.execute("SELECT count(*) FROM doctors WHERE on_call AND id <> %s", (doctor_id,)).fetchone()
            left = (
                others > 0
                and conn.execute("UPDATE doctors SET on_call = false WHERE id = %s AND on_call", (doctor_id,)).rowcount
                == 1
            )
            conn.commit()
            return left
        except errors.SerializationFailure:
            conn.rollback()
            time.sleep(random.uniform(0.001, 0.01))
    raise RuntimeError("go_off_call kept colliding")
