"""Mistake: books_with_authors reads the books, then asks for each book's author: N+1 queries.

Caught by: test_books_with_authors_is_one_query, test_books_with_authors_reads_one_snapshot_while_a_writer_commits, test_query_counts_stay_constant_as_n_grows_from_10_to_1000
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


def books_with_authors(conn):
    books = conn.execute("SELECT title, author_id FROM books ORDER BY id").fetchall()
    return [
        (title, conn.execute("SELECT name FROM authors WHERE id = %s", (author_id,)).fetchone()[0])
        for title, author_id in books
    ]
