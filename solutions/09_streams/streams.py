"""Kata 09 — event sourcing with Redis streams (reference solution)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis

# One field per entry holding the whole event as JSON. Stream fields are flat strings: storing
# the event's keys as fields would turn 42 into "42" and could not hold nested values.
FIELD = "event"


def _encode(event: dict) -> dict[str, str]:
    return {FIELD: json.dumps(event, ensure_ascii=False, separators=(",", ":"))}


def _decode(fields: dict[str, str]) -> dict:
    return json.loads(fields[FIELD])


def append(r, stream: str, event: dict) -> str:
    # No MAXLEN: the stream *is* the history. Trimming it would delete the events that
    # replay and time travel depend on.
    return r.xadd(stream, _encode(event))


def replay(
    r,
    stream: str,
    apply: Callable[[Any, dict], Any],
    initial: Any,
    until_id: str | None = None,
    page_size: int = 100,
) -> Any:
    state = initial
    start, end = "-", until_id or "+"
    while True:
        page = r.xrange(stream, start, end, count=page_size)
        for _entry_id, fields in page:
            state = apply(state, _decode(fields))
        if len(page) < page_size:
            return state
        # Exclusive start "(" + last id: restarting AT the last id would read it twice, and
        # jumping to the next millisecond would skip entries that share that millisecond.
        start = "(" + page[-1][0]


def ensure_group(r, stream: str, group: str) -> None:
    try:
        # id "0": a new group starts at the first event ("$" would skip the existing history).
        r.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):  # the group exists already: fine, keep its position
            raise


def _read(r, stream: str, group: str, consumer: str, entry_id: str, count: int, block_ms: int | None) -> list:
    reply = r.xreadgroup(group, consumer, {stream: entry_id}, count=count, block=block_ms)
    return reply[0][1] if reply else []


def _handle(r, stream: str, group: str, entry_id: str, fields: dict, handler: Callable[[dict], Any]) -> bool:
    try:
        handler(_decode(fields))
    except Exception:
        # Not acknowledged: the entry stays in the pending entries list, to be retried by
        # this consumer's next `consume` or claimed by another consumer's `recover`.
        # (A BaseException — the process dying — propagates, and the entry stays pending too.)
        return False
    # Acknowledge only after the handler returned: acknowledging first loses the event if we
    # crash in the handler.
    r.xack(stream, group, entry_id)
    return True


def consume(
    r,
    stream: str,
    group: str,
    consumer: str,
    handler: Callable[[dict], Any],
    count: int = 10,
    block_ms: int = 100,
) -> int:
    handled = 0
    # 1. Our own pending entries: delivered to us before but never acknowledged (a handler
    #    raised, or we crashed and restarted under the same name). Id "0" reads that history;
    #    ">" would never show them again.
    mine = _read(r, stream, group, consumer, "0", count, None)
    for entry_id, fields in mine:
        handled += _handle(r, stream, group, entry_id, fields, handler)
    # 2. New entries, never delivered to anyone in the group. Wait for them only if there
    #    was nothing else to do (block_ms=0: don't wait; BLOCK 0 would mean "forever").
    block = None if mine or not block_ms else block_ms
    for entry_id, fields in _read(r, stream, group, consumer, ">", count, block):
        handled += _handle(r, stream, group, entry_id, fields, handler)
    return handled


def _delivery_counts(r, stream: str, group: str, ids: list[str]) -> dict[str, int]:
    pipe = r.pipeline(transaction=False)
    for entry_id in ids:
        pipe.xpending_range(stream, group, entry_id, entry_id, 1)
    return {rows[0]["message_id"]: rows[0]["times_delivered"] for rows in pipe.execute() if rows}


def _dead_letter(r, stream: str, group: str, entry_id: str, fields: dict) -> None:
    # Copy to the dead stream and acknowledge in one transaction: an entry that is dead-lettered
    # but still pending would be claimed, and dead-lettered, again and again.
    pipe = r.pipeline(transaction=True)
    pipe.xadd(f"{stream}:dead", {**fields, "origin": entry_id})
    pipe.xack(stream, group, entry_id)
    pipe.execute()


def recover(
    r,
    stream: str,
    group: str,
    consumer: str,
    min_idle_ms: int,
    handler: Callable[[dict], Any],
    max_deliveries: int = 3,
) -> int:
    handled = 0
    cursor = "0-0"
    while True:
        # XAUTOCLAIM checks the idle time and changes the owner in one atomic step, so two
        # recovering consumers never take the same entry; entries a live consumer is still
        # working on (idle < min_idle_ms) are left alone. The claim counts as a delivery.
        reply = r.xautoclaim(stream, group, consumer, min_idle_ms, cursor, count=100)
        cursor, claimed = reply[0], reply[1]
        counts = _delivery_counts(r, stream, group, [entry_id for entry_id, _ in claimed]) if claimed else {}
        for entry_id, fields in claimed:
            if counts.get(entry_id, 0) > max_deliveries:
                _dead_letter(r, stream, group, entry_id, fields)  # a poison event: stop retrying it
            else:
                handled += _handle(r, stream, group, entry_id, fields, handler)
        # XAUTOCLAIM scans a limited part of the pending list per call: follow the cursor
        # until it comes back to 0-0, or idle entries further on are never recovered.
        if cursor == "0-0":
            return handled
