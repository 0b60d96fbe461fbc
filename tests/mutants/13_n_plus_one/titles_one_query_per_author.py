"""Mistake: titles_by_author runs one query per requested author.

Caught by: test_titles_by_author_runs_at_most_two_queries, test_query_counts_stay_constant_as_n_grows_from_10_to_1000
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


def titles_by_author(conn, author_ids):
    return {
        author_id: [
            t for (t,) in conn.execute("SELECT title FROM books WHERE author_id = %s ORDER BY id", (author_id,))
        ]
        for author_id in author_ids
    }
