"""Mistake: the result is built from the rows alone, so bookless and unknown authors are missing keys.

Caught by: test_titles_by_author_maps_bookless_and_unknown_authors_to_an_empty_list, test_an_empty_library_has_no_books
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


def titles_by_author(conn, author_ids):
    titles = {}
    rows = conn.execute("SELECT author_id, title FROM books WHERE author_id = ANY(%s) ORDER BY id", (list(author_ids),))
    for author_id, title in rows:
        titles.setdefault(author_id, []).append(title)
    return titles
