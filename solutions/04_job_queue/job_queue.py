"""Kata 04 — a reliable job queue on Redis lists (reference solution).

Jobs enter at the left of their list (LPUSH) and leave from the right, so each list is FIFO.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

PRIORITIES = ("high", "normal")

# While idle, block on the normal queue this long at a time, then look at the high queue again:
# a high job that arrives while we block waits at most this long. (No single command blocks on
# two lists *and* moves the job: BLMPOP blocks on several lists but does not move.)
SLICE_S = 0.1


def _key(name: str, part: str) -> str:
    return f"queue:{name}:{part}"


def enqueue(r, name: str, payload: dict, priority: str = "normal") -> str:
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be 'high' or 'normal', not {priority!r}")
    job_id = uuid.uuid4().hex
    job = {"id": job_id, "payload": payload, "priority": priority, "attempts": 0}
    r.lpush(_key(name, priority), json.dumps(job))
    return job_id


def _take(r, name: str, timeout_s: float) -> str | None:
    """The next job's raw JSON, already moved into the processing list (or None)."""
    high, normal, processing = _key(name, "high"), _key(name, "normal"), _key(name, "processing")
    deadline = time.monotonic() + timeout_s
    while True:
        # LMOVE / BLMOVE take the job and push it into processing in ONE command: there is no
        # moment at which a crash could lose it (RPOP followed by LPUSH has such a moment).
        raw = r.lmove(high, processing, "RIGHT", "LEFT")
        if raw is not None:
            return raw
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        # Block on the server: it wakes us the moment a job arrives. No polling, no sleep.
        raw = r.blmove(normal, processing, max(min(left, SLICE_S), 0.01), "RIGHT", "LEFT")
        if raw is not None:
            return raw


def work_one(
    r, name: str, handler: Callable[[dict], object], timeout_s: float = 1.0, max_attempts: int = 3
) -> str | None:
    raw = _take(r, name, timeout_s)
    if raw is None:
        return None
    job = json.loads(raw)
    processing = _key(name, "processing")
    try:
        handler(job["payload"])
    except Exception:
        _failed(r, name, raw, job, max_attempts)
        return job["id"]
    # A BaseException (the worker is dying) skips both branches: the job stays in processing.
    # Acknowledge only now that the work is done.
    r.lrem(processing, 1, raw)
    return job["id"]


def _failed(r, name: str, raw: str, job: dict, max_attempts: int) -> None:
    """A failed try: back on its queue, or to the dead letters after `max_attempts` tries."""
    job["attempts"] += 1
    target = _key(name, "dead") if job["attempts"] >= max_attempts else _key(name, job["priority"])
    # Leave processing and land elsewhere in one MULTI/EXEC: between a separate LREM and
    # LPUSH a crash would lose the job.
    with r.pipeline(transaction=True) as tx:
        tx.lrem(_key(name, "processing"), 1, raw)
        tx.lpush(target, json.dumps(job))
        tx.execute()


def recover(r, name: str) -> int:
    processing = _key(name, "processing")
    moved = 0
    # One job at a time: LINDEX tells us its priority, then LMOVE moves exactly that element
    # to its queue in one step, so no job is ever outside a list. The jobs go back to the
    # taking end of their queue (they were taken before everything still waiting), newest
    # first, so the oldest is taken first again.
    while (raw := r.lindex(processing, 0)) is not None:
        job = json.loads(raw)
        r.lmove(processing, _key(name, job["priority"]), "LEFT", "RIGHT")
        moved += 1
    return moved


def pending(r, name: str) -> int:
    with r.pipeline(transaction=False) as p:
        p.llen(_key(name, "high"))
        p.llen(_key(name, "normal"))
        return sum(p.execute())


def dead_letters(r, name: str) -> list[dict]:
    return [json.loads(raw) for raw in reversed(r.lrange(_key(name, "dead"), 0, -1))]
