"""Mistake: a B-tree on one extracted field (doc->>'category'): neither @> nor ? on doc can use it.

Caught by: test_create_indexes_lets_containment_and_key_searches_use_an_index, test_the_gin_index_reads_far_fewer_buffers_than_a_sequential_scan
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def create_indexes(conn):
    conn.execute("CREATE INDEX products_category ON products ((doc->>'category'))")
    conn.commit()
