"""Mistake: setup backfills the vector and commits before the trigger that maintains it exists: rows written in between are lost.

Caught by: test_rows_written_while_setup_runs_are_all_searchable
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "20_full_text_search/full_text_search.py")


VECTOR = "setweight(to_tsvector('english', coalesce({0}title, '')), 'A') || setweight(to_tsvector('english', coalesce({0}body, '')), 'B')"


def setup_search(conn):
    conn.execute("ALTER TABLE articles ADD COLUMN search tsvector")
    conn.commit()
    conn.execute("UPDATE articles SET search = " + VECTOR.format(""))
    conn.commit()
    conn.execute(
        "CREATE FUNCTION articles_search() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN NEW.search := " + VECTOR.format("NEW.") + "; RETURN NEW; END $$"
    )
    conn.execute(
        "CREATE TRIGGER articles_search BEFORE INSERT OR UPDATE ON articles "
        "FOR EACH ROW EXECUTE FUNCTION articles_search()"
    )
    conn.commit()
    for statement in SETUP[1:]:  # noqa: F821 - from the reference
        conn.execute(statement)
    conn.commit()
