"""Mistake: dict.fromkeys(ids, []) gives every author the same list, so each gets everybody's titles.

Caught by: test_titles_by_author_lists_each_authors_titles_in_book_id_order, test_titles_by_author_maps_bookless_and_unknown_authors_to_an_empty_list
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


def titles_by_author(conn, author_ids):
    titles = dict.fromkeys(author_ids, [])
    if titles:
        rows = conn.execute("SELECT author_id, title FROM books WHERE author_id = ANY(%s) ORDER BY id", (list(titles),))
        for author_id, title in rows:
            titles[author_id].append(title)
    return titles
