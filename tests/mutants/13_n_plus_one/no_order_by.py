"""Mistake: no ORDER BY, so rows come back in whatever order the plan produces (here: the order they were stored).

Caught by: test_books_with_authors_pairs_each_title_with_its_authors_name_in_book_id_order, test_titles_by_author_lists_each_authors_titles_in_book_id_order
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


def books_with_authors(conn):
    return conn.execute("SELECT b.title, a.name FROM books b JOIN authors a ON a.id = b.author_id").fetchall()


def titles_by_author(conn, author_ids):
    titles = {author_id: [] for author_id in author_ids}
    if titles:
        for author_id, title in conn.execute(
            "SELECT author_id, title FROM books WHERE author_id = ANY(%s)", (list(titles),)
        ):
            titles[author_id].append(title)
    return titles
