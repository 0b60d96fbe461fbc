"""Evidence helpers for kata tests: what the servers themselves count, and fair timings.

- `dojo.measure.redis`: commands the server ran, one client's traffic, MEMORY USAGE
- `dojo.measure.postgres`: statements the server ran in a database, and their time
- `dojo.measure.timing`: two variants timed interleaved (`compare`), server-side time
- `dojo.measure.evidence`: what a level-4 test records for `dojo bench`

Nothing here solves a kata: plan reading, which kata 14 asks learners to write, is not part of it.
"""

from __future__ import annotations

from .evidence import Evidence
from .postgres import count_statements, flush_stats, fresh_stats, postgres_server_time, statement_calls
from .redis import CommandCounts, count_commands, memory_usage, redis_command_calls, redis_server_time, traffic_client
from .timing import Comparison, ServerTime, compare

__all__ = [
    "CommandCounts",
    "Comparison",
    "Evidence",
    "ServerTime",
    "compare",
    "count_commands",
    "count_statements",
    "flush_stats",
    "fresh_stats",
    "memory_usage",
    "postgres_server_time",
    "redis_command_calls",
    "redis_server_time",
    "statement_calls",
    "traffic_client",
]
