"""Kata 10 — unique counting with HyperLogLog (reference solution)."""

from __future__ import annotations

from datetime import date, timedelta


def day_key(page: str, day: date) -> str:
    return f"hll:{page}:{day.isoformat()}"


def days(start: date, count: int) -> list[date]:
    # timedelta, not day-of-month arithmetic: ranges cross month and year ends.
    return [start + timedelta(days=i) for i in range(count)]


def track_visit(r, page: str, visitor_id: str, day: date) -> None:
    # One PFADD: the HLL keeps 16,384 6-bit registers (12 KB at most), whatever the number of visitors.
    r.pfadd(day_key(page, day), visitor_id)


def unique_visitors(r, page: str, day: date) -> int:
    return int(r.pfcount(day_key(page, day)))


def unique_visitors_between(r, page: str, start: date, end: date) -> int:
    n = (end - start).days + 1  # both ends included
    if n <= 0:
        return 0
    # PFCOUNT of several keys estimates their union on the fly, without writing anything:
    # no scratch key to clean up or to share with a concurrent caller, no daily key modified.
    return int(r.pfcount(*[day_key(page, d) for d in days(start, n)]))


def merge_week(r, page: str, week_start: date) -> str:
    key = f"hll:{page}:week:{week_start.isoformat()}"
    # PFMERGE writes into its FIRST argument: that must be the week key, never a daily one.
    # An existing week key is one of the sources, so a re-merge only grows it (never empty).
    r.pfmerge(key, *[day_key(page, d) for d in days(week_start, 7)])
    return key


def dim_key(day: date, dim: str, value: str) -> str:
    # Dimension and value both in the key: country=NL and language=NL are different counts.
    return f"hll:dim:{dim}={value}:{day.isoformat()}"


def track_event(r, visitor_id: str, day: date, **dims: str) -> None:
    pipe = r.pipeline(transaction=False)
    for dim, value in dims.items():
        pipe.pfadd(dim_key(day, dim, value), visitor_id)
    pipe.execute()


def unique_by(r, day: date, dim: str, value: str) -> int:
    return int(r.pfcount(dim_key(day, dim, value)))
