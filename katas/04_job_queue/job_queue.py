"""Kata 04 — a reliable job queue on Redis lists.

Fill in every function below; `pytest katas/04_job_queue` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str). The tests'
clients give up on a reply after 5 s (redis-py's default socket timeout): a single command
that blocks for 5 s or more fails with redis.TimeoutError, so block in shorter slices.

A job is stored as a JSON string: {"id": str, "payload": dict, "priority": "high" | "normal",
"attempts": int} — `attempts` counts the handler calls that failed so far (0 when enqueued).
The lists of queue `name`:

    queue:{name}:high        jobs waiting, high priority
    queue:{name}:normal      jobs waiting, normal priority
    queue:{name}:processing  jobs a worker has taken and not finished yet
    queue:{name}:dead        jobs that failed `max_attempts` times (dead letters)
"""

from __future__ import annotations

from collections.abc import Callable


def enqueue(r, name: str, payload: dict, priority: str = "normal") -> str:
    """Add a job to `queue:{name}:{priority}` and return its new, unique id at once.

    `priority` is "high" or "normal"; anything else raises ValueError (and enqueues nothing).
    """
    raise NotImplementedError


def work_one(
    r, name: str, handler: Callable[[dict], object], timeout_s: float = 1.0, max_attempts: int = 3
) -> str | None:
    """Take the next job and run `handler(payload)` on it; return the job's id, or None if no job came.

    Takes high-priority jobs before normal ones, oldest first within a priority. Waits up to
    `timeout_s` seconds for a job by blocking on the server, not by polling: an idle
    `work_one(timeout_s=1.0)` sends at most 50 commands in all, and a job of either priority
    that arrives while it waits is taken within 0.5 s. Taking the job and putting it into
    `queue:{name}:processing` is one atomic step, so a crash never loses it; the same holds for
    every later move of a job between lists (the tests kill the worker right after each command).

    - The handler returns: the job is done; remove this job (not just any) from the processing
      list — with several workers, jobs finish in another order than they were taken.
    - The handler raises an `Exception`: the job failed; with `attempts` + 1 it goes back on its
      queue, or, once it has failed `max_attempts` times in all, onto `queue:{name}:dead`.
    - The handler raises a `BaseException` that is not an `Exception` (the worker crashes): let it
      propagate and leave the job in the processing list for `recover`.
    """
    raise NotImplementedError


def recover(r, name: str) -> int:
    """Move every job left in `queue:{name}:processing` back onto its own priority's queue.

    Run when no worker is alive (e.g. at start-up after a crash). Return how many jobs moved.
    """
    raise NotImplementedError


def pending(r, name: str) -> int:
    """How many jobs are waiting in `queue:{name}:high` and `queue:{name}:normal` together."""
    raise NotImplementedError


def dead_letters(r, name: str) -> list[dict]:
    """The jobs in `queue:{name}:dead`, as dicts (keys id, payload, priority, attempts)."""
    raise NotImplementedError
