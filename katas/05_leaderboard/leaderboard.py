"""Kata 05 — leaderboards on Redis sorted sets.

Fill in every function below; `pytest katas/05_leaderboard` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str).

Keys: the global board is the sorted set `lb:global`; the board of one day is the sorted set
`lb:daily:{YYYY-MM-DD}` (e.g. `lb:daily:2025-03-14`, from `day.isoformat()`). A board's
members are player names, its scores their points.
"""

from __future__ import annotations

from datetime import date


def add_score(r, player: str, points: float, day: date) -> float:
    """Add `points` to `player`'s total on the global board `lb:global` and on the daily board
    `lb:daily:{day}`.

    Daily boards expire: after this call the daily board's TTL is > 0 and at most 8 days, and no
    daily board ever exists without one, even when the client dies between two of its commands
    (the tests kill it right after each one). Return the player's new global total.
    """
    raise NotImplementedError


def top(r, n: int, day: date | None = None) -> list[tuple[str, float]]:
    """The `n` best (player, score) pairs, highest score first.

    From the global board, or from the board of `day` when given (empty if that board does not
    exist). The order among players with equal scores is not specified.
    """
    raise NotImplementedError


def rank(r, player: str, day: date | None = None) -> int | None:
    """Competition rank of `player`: 1 + the number of players with a strictly higher score.

    Players with equal scores share a rank (scores 90, 80, 80, 70 rank 1, 2, 2, 4).
    On the global board, or on the board of `day` when given. None for a player not on the board.
    """
    raise NotImplementedError


def around(r, player: str, k: int, day: date | None = None) -> list[tuple[str, float]]:
    """Players around me: `player` with up to `k` neighbours above and `k` below.

    (player, score) pairs in board order (highest first), the player included. Clipped at both
    ends of the board: around the leader there is nobody above, and the list never wraps round.
    """
    raise NotImplementedError


def weekly_top(r, n: int, week_start: date) -> list[tuple[str, float]]:
    """The `n` best (player, weekly total) pairs, highest first.

    The weekly total is the sum over the 7 daily boards from `week_start` to
    `week_start + 6 days`. The daily boards are left unchanged.
    """
    raise NotImplementedError


def tier(r, player: str) -> str | None:
    """The player's tier on the global board, or None for a player not on it.

    With N players on the board and the player's competition rank k (see `rank`):
    "gold" if k <= ceil(0.1 * N), "silver" if k <= ceil(0.5 * N), else "bronze".
    """
    raise NotImplementedError
