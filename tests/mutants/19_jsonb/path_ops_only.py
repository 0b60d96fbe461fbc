"""Mistake: a GIN index with jsonb_path_ops only: smaller and good for @>, but it cannot serve ?.

Caught by: test_create_indexes_lets_containment_and_key_searches_use_an_index, test_the_searches_read_an_index_not_the_whole_table
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def create_indexes(conn):
    conn.execute("CREATE INDEX products_doc_path ON products USING gin (doc jsonb_path_ops)")
    conn.commit()
