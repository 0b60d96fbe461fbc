"""Mistake: NUL characters in the query are sent as they are; PostgreSQL text cannot hold them and psycopg raises.

Caught by: test_any_text_is_a_safe_query
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")


def clean(text):
    return text[:MAX_QUERY_CHARS].encode("utf-8", "replace").decode("utf-8")  # noqa: F821 - from the reference
