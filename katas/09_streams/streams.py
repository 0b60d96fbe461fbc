"""Kata 09 — event sourcing with Redis streams.

Fill in every function below; `pytest katas/09_streams` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str). The tests'
clients give up on a reply after 5 s (redis-py's default socket timeout): a read that blocks
for 5 s or more fails with redis.TimeoutError (the tests keep `block_ms` below 5,000).

An event is a JSON-serialisable dict with a "type", e.g. {"type": "deposited", "amount": 50}.
How you lay it out in a stream entry's fields is your choice, but `replay` and handlers must
get back a dict equal to the one appended (nested values, numbers, unicode and all). Decode
with something fast (json): the tests time a replay of 1,000 events against a PostgreSQL log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def append(r, stream: str, event: dict) -> str:
    """Append `event` to the stream at key `stream` and return the new entry's id.

    The stream is the history of record: it is never trimmed.
    """
    raise NotImplementedError


def replay(
    r,
    stream: str,
    apply: Callable[[Any, dict], Any],
    initial: Any,
    until_id: str | None = None,
    page_size: int = 100,
) -> Any:
    """Rebuild state from history: fold every event of `stream`, oldest first, and return the result.

    `state = apply(state, event)` for each event, starting from `initial`. With `until_id`,
    stop after the event with that id (included): the state as it was then ("time travel").
    Read the stream in pages of at most `page_size` entries — never all at once — with no
    event folded twice and none skipped. A stream that does not exist replays to `initial`.
    """
    raise NotImplementedError


def ensure_group(r, stream: str, group: str) -> None:
    """Make sure consumer group `group` exists on `stream`; safe to call again and again.

    Creates the stream if needed. A new group starts from the stream's first event (events
    appended before the group existed are delivered too); an existing group keeps its place.
    """
    raise NotImplementedError


def consume(
    r,
    stream: str,
    group: str,
    consumer: str,
    handler: Callable[[dict], Any],
    count: int = 10,
    block_ms: int = 100,
) -> int:
    """Handle a batch of events as `consumer`, a member of `group`; return how many were handled.

    First this consumer's own pending entries (delivered to it earlier, never acknowledged),
    then new ones — up to `count` entries at a time, waiting up to `block_ms` for new entries
    when there is nothing to do. Each event is given to `handler(event)`, and its entry is
    acknowledged right after its handler returned, before the next handler runs — so a crash
    mid-batch re-delivers only the entry in flight, never the ones already handled. An entry
    whose handler raises is not acknowledged: it stays pending (for this consumer's next call,
    or another's `recover`).
    """
    raise NotImplementedError


def recover(
    r,
    stream: str,
    group: str,
    consumer: str,
    min_idle_ms: int,
    handler: Callable[[dict], Any],
    max_deliveries: int = 3,
) -> int:
    """Take over and handle entries other consumers left pending (they crashed); return how many were handled.

    Claims for `consumer` every pending entry of `group` idle for at least `min_idle_ms`
    (entries a live consumer is still working on are left alone), hands each to
    `handler(event)` and acknowledges it right after the handler returned, like `consume`.
    An entry delivered more than `max_deliveries` times is a poison event: it is not
    handled again but appended to the stream `{stream}:dead` (so that `replay` of that
    stream gives the event back) and acknowledged. A consumer that dies between two commands
    (the tests kill it right after each one) must never leave an event neither pending, nor
    handled, nor in the dead stream.
    """
    raise NotImplementedError
