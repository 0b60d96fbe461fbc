"""Mistake: set_field never commits: nobody else sees the change, and the row stays locked.

Caught by: test_set_field_sets_a_nested_field_and_commits
"""

from psycopg import sql
from psycopg.types.json import Jsonb

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def set_field(conn, product_id, path, value):
    target = sql.SQL("").join(sql.SQL("[{}]").format(sql.Literal(key)) for key in path)
    conn.execute(sql.SQL("UPDATE products SET doc{} = %s WHERE id = %s").format(target), (Jsonb(value), product_id))
