"""A correct CRUD module written unlike the reference: a pipelined executemany for the batch, renames that lock
and check the ids first, transaction() blocks on an autocommit-style flow, and a pool opened explicitly."""

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

ALLOWED = frozenset({"email", "name"})


def _write(conn, work):
    """Run work(cursor) in one transaction and commit it, whatever state the connection was in."""
    with conn.transaction(), conn.cursor() as cur:
        result = work(cur)
    conn.commit()
    return result


def create_user(conn, email, name):
    return _write(
        conn,
        lambda cur: cur.execute(
            "INSERT INTO users (email, name) VALUES (%s, %s) RETURNING id", (email, name)
        ).fetchone()[0],
    )


def get_user(conn, user_id):
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT id, email, name, created_at FROM users WHERE id = %s", (user_id,))
        return cur.fetchone()


def update_user(conn, user_id, **fields):
    bad = [f for f in fields if f not in ALLOWED]
    if bad:
        raise ValueError(f"cannot change {bad}")
    parts = [sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in sorted(fields)]
    query = sql.SQL("UPDATE users SET {} WHERE id = {}").format(sql.SQL(", ").join(parts), sql.Placeholder("id"))
    return _write(conn, lambda cur: cur.execute(query, {**fields, "id": user_id}).rowcount == 1)


def delete_user(conn, user_id):
    return _write(conn, lambda cur: cur.execute("DELETE FROM users WHERE id = %s", (user_id,)).rowcount == 1)


def bulk_create_users(conn, rows):
    rows = [(email, name) for email, name in rows]
    _write(conn, lambda cur: cur.executemany("INSERT INTO users (email, name) VALUES (%s, %s)", rows))
    return len(rows)


def rename_users(conn, names):
    def rename(cur):
        found = cur.execute("SELECT id FROM users WHERE id = ANY(%s) FOR UPDATE", (list(names),)).fetchall()
        missing = set(names) - {r[0] for r in found}
        if missing:
            raise LookupError(f"no such users: {sorted(missing)}")
        cur.executemany("UPDATE users SET name = %s WHERE id = %s", [(n, i) for i, n in names.items()])

    _write(conn, rename)


def list_users(conn, limit, after=None):
    where, params = sql.SQL(""), []
    if after is not None:
        where, params = (
            sql.SQL("WHERE (created_at, id) < ({}, {})").format(sql.Placeholder(), sql.Placeholder()),
            list(after),
        )
    query = sql.SQL(
        "SELECT id, email, name, created_at FROM users {} ORDER BY created_at DESC, id DESC LIMIT {}"
    ).format(where, sql.Placeholder())
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, [*params, limit])
        return cur.fetchall()


def make_pool(dsn, size=5):
    pool = ConnectionPool(dsn, min_size=size, max_size=size, open=False)
    pool.open(wait=True, timeout=30)
    return pool
