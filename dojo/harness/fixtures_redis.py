"""Redis fixtures: an empty database per test, and clients that end with their test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..race import ReplyHook, Timeline, hooked_client
from ..services import Servers
from ..services.redis_isolation import RedisDatabase, redis_db_url
from .state import TIMELINES, worker_index
from .threads import RETIRE


@pytest.fixture(scope="session")
def _redis_database(dojo_servers: Servers) -> Iterator[RedisDatabase]:
    db = RedisDatabase(redis_db_url(dojo_servers.url("redis"), worker_index()))
    yield db
    db.close()


@pytest.fixture
def redis_url(_redis_database: RedisDatabase) -> Iterator[str]:
    """URL of an empty Redis database for this test (flushed afterwards); for other clients and processes."""
    _redis_database.prepare()
    yield _redis_database.url
    _redis_database.flush()


@pytest.fixture
def make_redis(redis_url: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Factory for more clients on the test's database: make_redis(on_reply=hook) hooks each reply
    (and, with pipelines=True, each queued command of a pipeline once its replies are in).

    When the test ends its clients are closed and may not reconnect: a thread the test left
    behind cannot write into the next test's database.
    """
    import redis

    retired = threading.Event()
    request.node.stash.setdefault(RETIRE, []).append(retired)
    timeline = Timeline()
    request.node.stash.setdefault(TIMELINES, []).append(timeline)
    clients: list[redis.Redis] = []

    def make(on_reply: ReplyHook | None = None, pipelines: bool = False, **kwargs: Any) -> redis.Redis:
        client = hooked_client(redis_url, on_reply, pipelines=pipelines, retired=retired, timeline=timeline, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def r(make_redis: Callable[..., Any]) -> Any:
    """A redis.Redis (decode_responses=True) on an empty database of its own."""
    return make_redis()
