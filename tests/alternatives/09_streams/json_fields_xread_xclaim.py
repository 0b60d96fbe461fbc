"""A second, differently-written implementation of kata 09 (not the reference)."""

from __future__ import annotations

import json

import redis


def _pack(event):
    # one field per key, each value JSON-encoded
    return {k: json.dumps(v) for k, v in event.items()}


def _unpack(fields):
    return {k: json.loads(v) for k, v in fields.items() if not k.startswith("_")}


def _id(s):
    a, _, b = s.partition("-")
    return (int(a), int(b or 0))


def append(r, stream, event):
    return r.xadd(stream, _pack(event), id="*")


def replay(r, stream, apply, initial, until_id=None, page_size=100):
    last = "0-0"
    limit = _id(until_id) if until_id else None
    state = initial
    while True:
        reply = r.xread({stream: last}, count=page_size)
        entries = reply[0][1] if reply else []
        for entry_id, fields in entries:
            if limit is not None and _id(entry_id) > limit:
                return state
            state = apply(state, _unpack(fields))
        if not entries:
            return state
        last = entries[-1][0]
        if limit is not None and _id(last) >= limit:
            return state


def ensure_group(r, stream, group):
    if r.exists(stream) and any(g["name"] == group for g in r.xinfo_groups(stream)):
        return
    try:
        r.execute_command("XGROUP", "CREATE", stream, group, "0-0", "MKSTREAM")
    except redis.ResponseError as exc:
        if not str(exc).startswith("BUSYGROUP"):
            raise


def consume(r, stream, group, consumer, handler, count=10, block_ms=100):
    done = 0
    reply = r.xreadgroup(group, consumer, {stream: "0-0"}, count=count)
    backlog = reply[0][1] if reply else []
    batch = list(backlog)
    if len(batch) < count:
        reply = r.xreadgroup(
            group, consumer, {stream: ">"}, count=count - len(batch), block=None if batch else max(block_ms, 1)
        )
        batch += reply[0][1] if reply else []
    for entry_id, fields in batch:
        handler(_unpack(fields))  # exceptions propagate: the rest stays pending
        r.xack(stream, group, entry_id)
        done += 1
    return done


def recover(r, stream, group, consumer, min_idle_ms, handler, max_deliveries=3):
    done = 0
    start = "-"
    while True:
        listed = r.xpending_range(stream, group, start, "+", 50, idle=min_idle_ms)
        for row in listed:
            got = r.xclaim(stream, group, consumer, min_idle_ms, [row["message_id"]])
            for entry_id, fields in got:
                if fields is None:
                    continue
                if row["times_delivered"] + 1 > max_deliveries:
                    with r.pipeline() as tx:
                        tx.xadd(f"{stream}:dead", {**fields, "_from": json.dumps(entry_id)})
                        tx.xack(stream, group, entry_id)
                        tx.execute()
                    continue
                handler(_unpack(fields))
                r.xack(stream, group, entry_id)
                done += 1
        if len(listed) < 50:
            return done
        start = "(" + listed[-1]["message_id"]
