"""Kata 10 — unique counting with HyperLogLog: visitors per day, per range, per week, per dimension.

Fill in every function below; `pytest katas/10_hyperloglog` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str).
Days are `datetime.date`; in keys a day is written YYYY-MM-DD (`day.isoformat()`).
"""

from __future__ import annotations

from datetime import date


def track_visit(r, page: str, visitor_id: str, day: date) -> None:
    """Record that `visitor_id` visited `page` on `day`, in the HyperLogLog at `hll:{page}:{YYYY-MM-DD}`.

    A visitor who comes back the same day is not counted again.
    """
    raise NotImplementedError


def unique_visitors(r, page: str, day: date) -> int:
    """About how many distinct visitors `page` had on `day` (0 for a day without visits).

    Within 2% of the truth: the tests track 10,000 visitors through `track_visit`, add 90,000
    more straight into the day's HyperLogLog, and check the count at both points.
    """
    raise NotImplementedError


def unique_visitors_between(r, page: str, start: date, end: date) -> int:
    """Distinct visitors of `page` over the days `start`..`end`, both included.

    A visitor who came on several of those days counts once: a union, not a sum of daily
    counts. The daily keys keep their visitors: their own counts do not change.
    """
    raise NotImplementedError


def merge_week(r, page: str, week_start: date) -> str:
    """Store the union of the 7 daily HyperLogLogs from `week_start` in `hll:{page}:week:{YYYY-MM-DD}`.

    The key's day is `week_start`. Return the key. The daily keys keep their visitors: their
    own counts do not change.
    """
    raise NotImplementedError


def track_event(r, visitor_id: str, day: date, **dims: str) -> None:
    """Record `visitor_id` on `day` under every dimension given, e.g. `country="NL", device="mobile"`.

    Afterwards `unique_by(r, day, "country", "NL")` and `unique_by(r, day, "device", "mobile")`
    both count this visitor. Key names are yours to choose (one HyperLogLog per dimension,
    value and day).
    """
    raise NotImplementedError


def unique_by(r, day: date, dim: str, value: str) -> int:
    """About how many distinct visitors were recorded on `day` with `dim` equal to `value` (0 if none)."""
    raise NotImplementedError
