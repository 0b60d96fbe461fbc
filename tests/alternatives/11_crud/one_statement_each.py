"""A correct CRUD module written unlike the reference: one statement per operation (unnest arrays instead of
COPY, an UPDATE … FROM for the renames), explicit commit/rollback, tuples zipped into dicts, and a
keyset condition split into a seekable bound plus a tie-break."""

from contextlib import contextmanager

from psycopg import sql
from psycopg_pool import ConnectionPool

KEYS = ("id", "email", "name", "created_at")
SELECT = "SELECT id, email, name, created_at FROM users"


@contextmanager
def committing(conn):
    try:
        yield
    except Exception:
        conn.rollback()
        raise
    conn.commit()


def create_user(conn, email, name):
    with committing(conn):
        return conn.execute("INSERT INTO users (email, name) VALUES (%s, %s) RETURNING id", (email, name)).fetchone()[0]


def get_user(conn, user_id):
    row = conn.execute(f"{SELECT} WHERE id = %s", (user_id,)).fetchone()
    return dict(zip(KEYS, row)) if row else None


def update_user(conn, user_id, **fields):
    if not fields or not set(fields) <= {"email", "name"}:
        raise ValueError("update_user changes email and/or name, nothing else")
    query = sql.SQL("UPDATE users SET ({}) = ROW({}) WHERE id = %s").format(
        sql.SQL(", ").join(map(sql.Identifier, fields)), sql.SQL(", ").join(sql.Placeholder() * len(fields))
    )
    with committing(conn):
        return conn.execute(query, [*fields.values(), user_id]).rowcount > 0


def delete_user(conn, user_id):
    with committing(conn):
        return conn.execute("DELETE FROM users WHERE id = %s", (user_id,)).rowcount > 0


def bulk_create_users(conn, rows):
    emails, names = [], []
    for email, name in rows:
        emails.append(email)
        names.append(name)
    with committing(conn):
        conn.execute("INSERT INTO users (email, name) SELECT * FROM unnest(%s::text[], %s::text[])", (emails, names))
    return len(emails)


def rename_users(conn, names):
    with committing(conn):
        renamed = conn.execute(
            "UPDATE users u SET name = v.name FROM unnest(%s::bigint[], %s::text[]) AS v(id, name) WHERE u.id = v.id",
            (list(names), list(names.values())),
        ).rowcount
        if renamed != len(names):
            raise LookupError("some of these users do not exist; nobody was renamed")


def list_users(conn, limit, after=None):
    if after is None:
        rows = conn.execute(f"{SELECT} ORDER BY created_at DESC, id DESC LIMIT %s", (limit,)).fetchall()
    else:
        created_at, user_id = after
        rows = conn.execute(
            f"{SELECT} WHERE created_at <= %(t)s AND (created_at < %(t)s OR id < %(id)s) "
            "ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
            {"t": created_at, "id": user_id, "limit": limit},
        ).fetchall()
    return [dict(zip(KEYS, row)) for row in rows]


def make_pool(dsn, size=5):
    return ConnectionPool(dsn, min_size=1, max_size=size, open=True)
