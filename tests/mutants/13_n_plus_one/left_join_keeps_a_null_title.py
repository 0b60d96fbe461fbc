"""Mistake: a LEFT JOIN from the requested ids gives a bookless author one row with a NULL title: [None], not [].

Caught by: test_titles_by_author_maps_bookless_and_unknown_authors_to_an_empty_list
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "13_n_plus_one/n_plus_one.py")


def titles_by_author(conn, author_ids):
    titles = {author_id: [] for author_id in author_ids}
    rows = conn.execute(
        "SELECT i.id, b.title FROM unnest(%s::int[]) AS i(id) LEFT JOIN books b ON b.author_id = i.id ORDER BY b.id",
        (list(titles),),
    )
    for author_id, title in rows:
        titles[author_id].append(title)
    return titles
