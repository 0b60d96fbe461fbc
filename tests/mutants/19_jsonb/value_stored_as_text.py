"""Mistake: the value is sent as text and stored as a JSON string: 10 becomes "10", True becomes "True".

Caught by: test_set_field_keeps_each_python_type_as_that_json_type
"""

from psycopg import sql

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def set_field(conn, product_id, path, value):
    target = sql.SQL("").join(sql.SQL("[{}]").format(sql.Literal(key)) for key in path)
    conn.execute(
        sql.SQL("UPDATE products SET doc{} = to_jsonb(%s::text) WHERE id = %s").format(target),
        (None if value is None else str(value), product_id),
    )
    conn.commit()
