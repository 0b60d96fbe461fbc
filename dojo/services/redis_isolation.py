"""A clean Redis database for every test, and no foreign key ever flushed.

Each test process uses one database number (the URL's, plus the xdist worker index). It must be
empty when the run first uses it: a database that already holds keys is somebody else's, and the
suite refuses it and flushes nothing — unless a run on this host used it and was killed (its
learner user names the database; `redis_acl.sweep` empties it when it removes that user). From
then on everything in it was written by this run, so it is flushed before and after every test
(also what a thread left behind by a test wrote).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis

from .errors import ServiceUnavailable
from .redis_acl import make_learner_user


class ForeignData(ServiceUnavailable):
    """The Redis database the suite was pointed at holds keys the suite did not write."""


def redis_db_url(server_url: str, offset: int) -> str:
    """The server URL with its database number moved up by `offset` (one per xdist worker)."""
    parts = urlsplit(server_url)
    base = int(parts.path.strip("/") or 0)
    db = base + offset
    if db > 15:
        raise ServiceUnavailable(
            f"Redis database {db} is out of range: use a lower database number in the Redis URL, or fewer workers."
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


class RedisDatabase:
    """One Redis database owned by this test process for the length of the run.

    `url` is for code under test: it connects as an ACL user of the run's own (redis_acl.py);
    the harness keeps the server's own credentials for its admin work.
    """

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = redis.Redis.from_url(admin_url, decode_responses=True)
        self.db = self.admin.connection_pool.connection_kwargs.get("db", 0)
        self._checked = False
        self.learner, self.note = make_learner_user(self.admin, self.db)
        self.url = self.learner.url(admin_url) if self.learner else admin_url

    def prepare(self) -> None:
        """Called before each test: the first time, refuse (and leave alone) a database holding
        foreign keys; afterwards, empty it of whatever this run left."""
        if self._checked:
            self.admin.flushdb()
            return
        self.ensure_empty()
        self._checked = True

    def ensure_empty(self) -> None:
        size = self.admin.dbsize()
        if size:
            sample = ", ".join(self.admin.scan(count=3)[1][:3])
            raise ForeignData(
                f"Redis database {self.db} at {self.admin_url} already holds {size} key(s) the suite did not write "
                f"(e.g. {sample}); nothing was deleted. Point KATAS_REDIS_URL at an empty database number."
            )

    def flush(self) -> None:
        """Called after each test: everything here was written during the test."""
        self.admin.flushdb()

    def close(self) -> None:
        if self.learner is not None:
            self.learner.drop()
        self.admin.close()
