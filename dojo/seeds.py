"""Given tables, seeded once per run: `@pytest.mark.seed(ORDERS)` gives each test a copy.

A kata whose contract gives tables of 20k–200k rows describes them once:

    ORDERS = Seed("orders", "CREATE TABLE orders (...); INSERT INTO orders SELECT ... FROM generate_series(1, 100000) g")

    @pytest.mark.seed(ORDERS)          # on a test, a class, or `pytestmark` for the module
    def test_something(conn): ...      # conn / pg_dsn: a fresh copy of the seeded database

The harness builds the seeded database once per test process (as the run's own role, so the
tables belong to the code under test), analyses it, and creates every test's database from it
with `CREATE DATABASE … TEMPLATE`: a test pays milliseconds, not a reload. `make_pg_dsn(seed=…)`
gives more copies (shards).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Setup = str | Callable[[Any], None]


@dataclass(frozen=True)
class Seed:
    """Tables a contract gives, built by `setup` (SQL, or a function of a psycopg connection)."""

    name: str
    setup: Setup
    analyze: bool = True
    vacuum: bool = False  # for index-only scans: the visibility map must be set

    def run(self, conn: Any) -> None:
        if isinstance(self.setup, str):
            conn.execute(self.setup)
        else:
            self.setup(conn)
