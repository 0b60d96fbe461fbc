"""Kata 13 — the N+1 query problem. Run: pytest katas/13_n_plus_one  (one level: --level 2)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import n_plus_one
import psycopg
import pytest
from psycopg.pq import TransactionStatus

level = pytest.mark.level

SCHEMA = """
CREATE TABLE authors (id int PRIMARY KEY, name text);
CREATE TABLE books (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors, title text, published int);
"""

# A small library. Books are inserted out of id order, so rows come back in id order only when asked to.
AUTHORS = {1: "Ursula K. Le Guin", 2: "Terry Pratchett", 3: "Octavia E. Butler", 4: "Italo Calvino"}
BOOKS = [  # (id, author_id, title, published) in insertion order; Italo Calvino (4) has no books here
    (16, 2, "Guards! Guards!", 1989),
    (11, 1, "The Left Hand of Darkness", 1969),
    (14, 3, "Kindred", 1979),
    (10, 1, "A Wizard of Earthsea", 1968),
    (15, 2, "Mort", 1987),
    (13, 1, "The Dispossessed", 1974),
    (12, 2, "The Colour of Magic", 1983),
]
UNKNOWN = 99  # no author has this id
FLOOR = 4  # speed-up asserted for 1,000 books: at most a third of the lowest ratio measured here (≈ 14×)


def expected_books() -> list[tuple[str, str]]:
    return [(title, AUTHORS[author_id]) for _id, author_id, title, _year in sorted(BOOKS)]


def expected_titles(author_ids: list[int]) -> dict[int, list[str]]:
    return {a: [title for _id, author_id, title, _y in sorted(BOOKS) if author_id == a] for a in author_ids}


@pytest.fixture
def library(conn: psycopg.Connection) -> None:
    conn.execute(SCHEMA)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO authors VALUES (%s, %s)", list(AUTHORS.items()))
        cur.executemany("INSERT INTO books VALUES (%s, %s, %s, %s)", BOOKS)
    conn.commit()


def fill(conn: psycopg.Connection, n: int) -> None:
    """n authors and n books, book g written by author n + 1 - g (so authors come in another order)."""
    conn.execute("TRUNCATE books, authors")
    conn.execute("INSERT INTO authors SELECT g, 'Author ' || g FROM generate_series(1, %s) g", (n,))
    conn.execute(
        "INSERT INTO books SELECT g, %s + 1 - g, 'Book ' || g, 1900 + g %% 120 FROM generate_series(1, %s) g",
        (n, n),
    )
    conn.commit()
    conn.execute("ANALYZE authors, books")
    conn.commit()


def books_with_authors_one_by_one(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """The N+1 version, the baseline: one query for the books, then one more per book for its author."""
    books = conn.execute("SELECT title, author_id FROM books ORDER BY id").fetchall()
    return [
        (title, conn.execute("SELECT name FROM authors WHERE id = %s", (author_id,)).fetchone()[0])
        for title, author_id in books
    ]


# --- counting queries on the server -------------------------------------------------------------

# Not queries: transaction control, and the DEALLOCATE psycopg sends itself to drop its prepared statements.
NOT_QUERIES = ["BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "DEALLOCATE"]
SERVER_TOTALS = r"""
SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(rows), 0)::bigint FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND coalesce(upper(substring(query FROM '^\s*(\w+)')), '') <> ALL (%s)
  AND query NOT LIKE '%%pg_stat_statements%%'
"""
FIRST_WORD = re.compile(r"^\s*(\w+)")


def is_query(sql: str) -> bool:
    word = FIRST_WORD.match(sql)
    return (word.group(1).upper() if word else "") not in NOT_QUERIES


@dataclass
class Count:
    queries: int = 0
    rows: int | None = None  # rows PostgreSQL returned; None where only the client counted
    by: str = "PostgreSQL"


class Queries:
    """Queries the code under test runs (transaction control aside).

    Counted by PostgreSQL itself (pg_stat_statements, every connection to this database); on a
    server that does not load pg_stat_statements, at the client, on the test's connection.
    """

    def __init__(self, conn: psycopg.Connection, admin: psycopg.Connection, interposer: Any) -> None:
        self._conn = conn
        self._admin = admin
        self._interposer = None
        try:
            self._server_totals()
        except psycopg.Error:
            self._interposer = interposer
            interposer.watch(conn, "code under test")

    def _server_totals(self) -> tuple[int, int]:
        calls, rows = self._admin.execute(SERVER_TOTALS, (NOT_QUERIES,)).fetchone()
        return int(calls), int(rows)

    def _client_total(self) -> int:
        return sum(1 for label, text in self._interposer.timeline if label == "code under test" and is_query(text))

    def _end_transaction(self) -> None:
        """PostgreSQL records a query of an open transaction once its portal closes: at the next query or
        at the end of the transaction. The functions here only read, so ending it changes nothing."""
        if self._conn.info.transaction_status != TransactionStatus.IDLE:
            self._conn.rollback()

    @contextmanager
    def counting(self) -> Iterator[Count]:
        count = Count()
        if self._interposer is not None:
            before = self._client_total()
            yield count
            count.queries, count.by = self._client_total() - before, "the client"
            return
        self._end_transaction()
        calls, rows = self._server_totals()
        yield count
        self._end_transaction()
        calls_after, rows_after = self._server_totals()
        count.queries, count.rows = calls_after - calls, rows_after - rows


@pytest.fixture
def queries(conn: psycopg.Connection, pg_admin: psycopg.Connection, pg_interposer: Any) -> Queries:
    return Queries(conn, pg_admin, pg_interposer)


@dataclass
class WriterAfterFirstQuery:
    """An interposer hook: right after the code's first query, another connection commits `change`."""

    dsn: str
    change: list[str]
    fired: bool = False

    def __call__(self, s: Any) -> None:
        if s.connection != "code under test" or s.phase != "after" or self.fired or not is_query(s.sql):
            return
        self.fired = True
        with psycopg.connect(self.dsn) as writer, writer.transaction():
            for statement in self.change:
                writer.execute(statement)


def authors_of(ids: list[int]) -> list[dict | None]:
    return [{"id": i, "name": AUTHORS[i]} if i in AUTHORS else None for i in ids]


@level(1)
class TestCore:
    def test_books_with_authors_pairs_each_title_with_its_authors_name_in_book_id_order(self, conn, library):
        result = n_plus_one.books_with_authors(conn)
        assert isinstance(result, list), f"books_with_authors must return a list, not {type(result).__name__}"
        assert result == expected_books(), (
            f"expected (title, author name) for every book, ordered by book id; got {result}. "
            "Without ORDER BY, PostgreSQL returns rows in whatever order its plan produces them"
        )

    def test_books_with_authors_is_one_query(self, conn, library, queries):
        with queries.counting() as n:
            n_plus_one.books_with_authors(conn)
        assert n.queries == 1, (
            f"books_with_authors ran {n.queries} queries (counted by {n.by}) for {len(BOOKS)} books: "
            "the N+1 pattern (one query for the books, one more per book) — JOIN authors instead"
        )

    def test_titles_by_author_lists_each_authors_titles_in_book_id_order(self, conn, library):
        result = n_plus_one.titles_by_author(conn, [2, 1, 3])
        assert result == expected_titles([2, 1, 3]), (
            f"expected each author's own titles, ordered by book id; got {result}"
        )

    def test_titles_by_author_maps_bookless_and_unknown_authors_to_an_empty_list(self, conn, library):
        result = n_plus_one.titles_by_author(conn, [3, 4, UNKNOWN])
        assert result == {3: ["Kindred"], 4: [], UNKNOWN: []}, (
            f"every requested id must be a key: an author without books (4) and an unknown id ({UNKNOWN}) "
            f"map to [] (no None inside, no missing key); got {result}"
        )

    def test_titles_by_author_runs_at_most_two_queries(self, conn, library, queries):
        with queries.counting() as n:
            n_plus_one.titles_by_author(conn, [1, 2, 3, 4, UNKNOWN])
        assert n.queries <= 2, (
            f"titles_by_author ran {n.queries} queries (counted by {n.by}) for 5 ids: ask for all of them at once "
            "(author_id = ANY(%s) with a list), not one query per author"
        )

    def test_load_many_returns_author_dicts_aligned_with_the_ids(self, conn, library):
        ids = [3, 1, UNKNOWN, 2]
        result = n_plus_one.AuthorLoader(conn).load_many(ids)
        assert result == authors_of(ids), (
            f"load_many({ids}) must return one {{'id', 'name'}} dict per id, in the order asked, None for an "
            f"unknown id; got {result}"
        )

    def test_a_loader_runs_one_query_per_call_and_none_for_authors_it_has(self, conn, library, queries):
        loader = n_plus_one.AuthorLoader(conn)
        with queries.counting() as first:
            loader.load_many([1, 2, 3])
        with queries.counting() as again:
            result = loader.load_many([3, 1])
        assert first.queries == 1, (
            f"the first load_many of 3 authors ran {first.queries} queries (counted by {first.by}): "
            "fetch every id it lacks in one query"
        )
        assert result == authors_of([3, 1]), f"the cached authors came back wrong: {result}"
        assert again.queries == 0, (
            f"asking again for authors the loader already had ran {again.queries} queries: keep what was loaded "
            "and answer from it"
        )


@level(2)
class TestEdges:
    def test_load_many_keeps_duplicates_and_unknown_ids_in_place(self, conn, library, queries):
        ids = [2, UNKNOWN, 2, 1, UNKNOWN + 1, 2]
        with queries.counting() as n:
            result = n_plus_one.AuthorLoader(conn).load_many(ids)
        assert result == authors_of(ids), (
            f"load_many({ids}) must return {len(ids)} entries aligned with the ids (duplicates repeated, None for "
            f"unknown ids); got {result}"
        )
        assert n.queries == 1, f"one call with duplicates ran {n.queries} queries (counted by {n.by}): one is enough"

    def test_a_loader_fetches_only_the_ids_it_does_not_have_yet(self, conn, library, queries):
        loader = n_plus_one.AuthorLoader(conn)
        loader.load_many([1, 2])
        with queries.counting() as n:
            result = loader.load_many([1, 2, 3, 4])
        assert result == authors_of([1, 2, 3, 4]), f"a partly cached call came back wrong: {result}"
        assert n.queries == 1, f"a call with two new ids ran {n.queries} queries (counted by {n.by}); expected one"
        if n.rows is not None:
            assert n.rows <= 2, (
                f"PostgreSQL returned {n.rows} rows for the 2 authors the loader lacked: ask only for the ids "
                "that are not cached yet"
            )

    def test_each_loader_has_a_cache_of_its_own(self, conn, library, queries):
        n_plus_one.AuthorLoader(conn).load_many([1])
        conn.execute("UPDATE authors SET name = 'U. K. Le Guin' WHERE id = 1")
        conn.commit()
        with queries.counting() as n:
            result = n_plus_one.AuthorLoader(conn).load_many([1])
        assert result == [{"id": 1, "name": "U. K. Le Guin"}] and n.queries == 1, (
            f"a new loader (a new request) answered {result} with {n.queries} queries: the cache belongs to one "
            "loader (self), not to the class or the module, or every request would see stale authors"
        )

    def test_nothing_asked_for_gives_nothing(self, conn, library):
        assert n_plus_one.titles_by_author(conn, []) == {}, "titles_by_author(conn, []) must return {}"
        assert n_plus_one.AuthorLoader(conn).load_many([]) == [], "load_many([]) must return []"

    def test_an_empty_library_has_no_books(self, conn, library):
        conn.execute("TRUNCATE books")
        conn.commit()
        assert n_plus_one.books_with_authors(conn) == [], "with no books, books_with_authors must return []"
        assert n_plus_one.titles_by_author(conn, [1, 2]) == {1: [], 2: []}, (
            "with no books, every requested author maps to []"
        )


@level(3)
class TestConcurrency:
    def test_books_with_authors_reads_one_snapshot_while_a_writer_commits(self, conn, pg_dsn, library, pg_interposer):
        pg_interposer.watch(conn, "code under test")
        writer = WriterAfterFirstQuery(
            pg_dsn,
            [
                "UPDATE books SET author_id = author_id % 4 + 1",  # every book changes author ...
                "UPDATE authors SET name = name || ' (revised)'",  # ... and every author is renamed
            ],
        )
        pg_interposer.hooks.append(writer)
        result = n_plus_one.books_with_authors(conn)
        conn.commit()
        after = conn.execute(
            "SELECT b.title, a.name FROM books b JOIN authors a ON a.id = b.author_id ORDER BY b.id"
        ).fetchall()
        assert writer.fired, "books_with_authors sent no query"
        assert result in (expected_books(), after), (
            f"books_with_authors mixed two states of the database: {result}. Another transaction committed "
            "between your queries; at READ COMMITTED every statement sees the latest commits, so separate "
            "queries can pair a book with the wrong author — one query (a JOIN) is one snapshot"
        )

    def test_one_load_many_call_reads_one_snapshot_while_a_writer_commits(self, conn, pg_dsn, library, pg_interposer):
        pg_interposer.watch(conn, "code under test")
        writer = WriterAfterFirstQuery(pg_dsn, ["UPDATE authors SET name = name || ' (revised)'"])
        pg_interposer.hooks.append(writer)
        ids = [1, 2, 3, 4]
        result = n_plus_one.AuthorLoader(conn).load_many(ids)
        revised = [{"id": a["id"], "name": a["name"] + " (revised)"} for a in authors_of(ids)]
        assert writer.fired, "load_many sent no query"
        assert result in (authors_of(ids), revised), (
            f"one load_many call mixed two states of the database: {result}. Authors renamed by a commit between "
            "your queries came back next to ones read before it: one batched query reads one snapshot"
        )


@level(4)
class TestEvidence:
    def test_query_counts_stay_constant_as_n_grows_from_10_to_1000(self, conn, library, queries, evidence):
        counts: dict[str, list[int]] = {
            "N+1 baseline": [],
            "books_with_authors": [],
            "titles_by_author": [],
            "loader": [],
        }
        sizes = (10, 100, 1000)
        for n in sizes:
            fill(conn, n)
            with queries.counting() as baseline:
                expected = books_with_authors_one_by_one(conn)
            assert baseline.queries == n + 1, f"test bug: the N+1 baseline ran {baseline.queries} queries for {n} books"
            with queries.counting() as join:
                assert n_plus_one.books_with_authors(conn) == expected, f"books_with_authors was wrong for {n} books"
            ids = list(range(1, n + 1))
            with queries.counting() as batched:
                titles = n_plus_one.titles_by_author(conn, [*ids, n + 1])
            assert titles == {**{a: [f"Book {n + 1 - a}"] for a in ids}, n + 1: []}, (
                f"titles_by_author was wrong for {n} authors"
            )
            author_ids = [n + 1 - g for g in range(1, n + 1)]
            with queries.counting() as loaded:
                authors = n_plus_one.AuthorLoader(conn).load_many(author_ids)
            assert authors == [{"id": a, "name": f"Author {a}"} for a in author_ids], (
                f"load_many was wrong for {n} authors"
            )
            for key, c in zip(counts, (baseline, join, batched, loaded)):
                counts[key].append(c.queries)
        shown = "; ".join(f"{key}: {' → '.join(map(str, v))}" for key, v in counts.items())
        evidence.record(
            "queries for 1,000 books: the N+1 baseline → books_with_authors",
            f"{counts['N+1 baseline'][-1]} → {counts['books_with_authors'][-1]} queries",
            claim="1 query with JOIN beats N separate queries",
            detail=f"counted by {baseline.by} as N goes {' → '.join(map(str, sizes))}: {shown}",
        )
        assert counts["books_with_authors"] == [1, 1, 1], (
            f"books_with_authors ran {counts['books_with_authors']} queries as N went 10 → 1,000: it must stay one"
        )
        assert max(counts["titles_by_author"]) <= 2, (
            f"titles_by_author ran {counts['titles_by_author']} queries as N went 10 → 1,000: at most two, whatever N"
        )
        assert counts["loader"] == [1, 1, 1], (
            f"a fresh loader ran {counts['loader']} queries as N went 10 → 1,000: one per call, whatever N"
        )

    @pytest.mark.perf
    def test_one_join_and_a_batched_loader_beat_1001_queries(self, conn, library, evidence):
        fill(conn, 1000)
        expected = books_with_authors_one_by_one(conn)

        def with_a_loader() -> list[tuple[str, str]]:
            books = conn.execute("SELECT title, author_id FROM books ORDER BY id").fetchall()
            authors = n_plus_one.AuthorLoader(conn).load_many([author_id for _title, author_id in books])
            return [(title, author["name"]) for (title, _a), author in zip(books, authors)]

        assert n_plus_one.books_with_authors(conn) == expected, "books_with_authors was wrong for 1,000 books"
        assert with_a_loader() == expected, "load_many was wrong for the authors of 1,000 books"
        baseline = lambda: books_with_authors_one_by_one(conn)  # noqa: E731
        join = evidence.compare_best_of(
            "1,000 books with their authors: N+1 queries vs one JOIN",
            baseline,
            lambda: n_plus_one.books_with_authors(conn),
            claim="98× (2450 ms → 25 ms)",
            floor=FLOOR,
        )
        loader = evidence.compare_best_of(
            "1,000 books with their authors: N+1 queries vs the books + one AuthorLoader call",
            baseline,
            with_a_loader,
            claim="98× (2450 ms → 25 ms with DataLoader)",
            floor=FLOOR,
        )
        for what, result in (("one JOIN", join), ("the loader", loader)):
            assert result.ratio >= FLOOR, (
                f"{what} was only {result.ratio:.1f}× faster than 1,001 queries ({result}): each query costs a "
                "round trip, so a constant number of queries must win by far"
            )
