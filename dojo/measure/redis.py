"""Evidence from Redis itself: commands the server ran (INFO commandstats), traffic of one client, memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .timing import ServerTime

if TYPE_CHECKING:
    import redis


def redis_command_calls(r: redis.Redis) -> Counter[str]:
    """Calls per command since the server started, e.g. {"get": 12, "client|setinfo": 2}."""
    stats = r.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})


@dataclass
class CommandCounts:
    """Commands the server executed inside a `count_commands` block, lower-case names."""

    calls: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def __getitem__(self, name: str) -> int:
        return self.calls[name.lower()]

    def of(self, *names: str) -> int:
        return sum(self.calls[n.lower()] for n in names)

    def __str__(self) -> str:
        return ", ".join(f"{k}×{v}" for k, v in self.calls.most_common()) or "no commands"


@contextmanager
def count_commands(r: redis.Redis) -> Iterator[CommandCounts]:
    """Server-side command counts (INFO commandstats) for the block; commands run by scripts count.

    Exact when the server serves only this test process (embedded mode, or a URL server used
    by one run at a time).
    """
    counts = CommandCounts()
    before = redis_command_calls(r)
    yield counts
    after = redis_command_calls(r)
    diff = after - before
    diff["info"] -= 1  # the INFO that took `after`
    counts.calls.update(+diff)


def redis_server_time(r: redis.Redis, *commands: str) -> ServerTime:
    """Server-side time of `commands` so far (INFO commandstats usec/calls; commands run by scripts count)."""
    stats = r.info("commandstats")
    rows = [stats.get(f"cmdstat_{c.lower()}", {}) for c in commands]
    return ServerTime(sum(float(s.get("usec", 0)) for s in rows), sum(int(s.get("calls", 0)) for s in rows))


class Traffic:
    """Commands sent, round trips made and reply values received by one client (see traffic_client)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.commands: list[str] = []
        self.round_trips = 0
        self.values = 0

    @property
    def data_commands(self) -> list[str]:
        """The commands without MULTI/EXEC framing."""
        return [c for c in self.commands if c not in ("MULTI", "EXEC")]


def _leaves(reply: Any) -> int:
    if isinstance(reply, (list, tuple)):
        return sum(_leaves(x) for x in reply)
    if isinstance(reply, dict):
        return sum(_leaves(k) + _leaves(v) for k, v in reply.items())
    return 1


def traffic_client(url: str) -> tuple[redis.Redis, Traffic]:
    """A redis.Redis (decode_responses=True) that counts, client side, every command, round trip and reply value.

    The counts belong to this client alone, so they stay exact when other tests share the server
    (a URL server with pytest -n 2); pipelines, transactions and scripts are all seen.
    """
    import redis

    traffic = Traffic()

    class Counting(redis.connection.Connection):
        def send_command(self, *args: Any, **kwargs: Any) -> None:
            traffic.commands.append(str(args[0]).upper())
            return super().send_command(*args, **kwargs)

        def pack_commands(self, commands: Any) -> Any:
            traffic.commands.extend(str(c[0]).upper() for c in commands)
            return super().pack_commands(commands)

        def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            traffic.round_trips += 1
            return super().send_packed_command(command, check_health)

        def read_response(self, *args: Any, **kwargs: Any) -> Any:
            reply = super().read_response(*args, **kwargs)
            traffic.values += _leaves(reply)
            return reply

    pool = redis.ConnectionPool.from_url(url, connection_class=Counting, decode_responses=True)
    client = redis.Redis(connection_pool=pool)
    client.ping()  # connect now, so the handshake is not counted
    traffic.reset()
    return client, traffic


def memory_usage(r: redis.Redis, key: str) -> int:
    """Bytes the server attributes to `key` (MEMORY USAGE, all samples)."""
    return int(r.memory_usage(key, samples=0) or 0)


def keys_without_expiry(r: redis.Redis, match: str = "*") -> list[str]:
    """Keys (matching `match`) that exist and have no expiry: what a crash or a forgotten EXPIRE leaves for ever."""
    return sorted(k for k in r.scan_iter(match=match, count=1000) if r.ttl(k) == -1)
