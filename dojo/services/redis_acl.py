"""The Redis user code under test connects as: every command but the server-wide and dangerous ones.

Learner code may do anything to the keys of its test's database, but not wipe other databases
(FLUSHALL), change or stop the server (CONFIG, SHUTDOWN, DEBUG, SAVE, REPLICAOF, MODULE …), end
other clients (CLIENT KILL) or drop everyone's scripts. Each refusal reads as one sentence
(`refusal`). A server older than Redis 6 has no ACLs: the run says so once and goes on.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import redis

from . import process
from .pg_admin import HOST_TAG

DENIED = {
    "flushall": "it empties every database of the server, other people's keys included",
    "config": "it changes the server for everyone, also for later runs",
    "shutdown": "it stops the server",
    "debug": "it can crash or freeze the server",
    "save": "it blocks the server while it writes a snapshot",
    "bgsave": "it makes the server write a snapshot",
    "bgrewriteaof": "it makes the server rewrite its log",
    "replicaof": "it turns the server into someone else's replica",
    "slaveof": "it turns the server into someone else's replica",
    "failover": "it hands the server's role to another",
    "module": "it loads code into the server",
    "swapdb": "it swaps other databases' keys",
    "monitor": "it streams every client's commands",
    "acl": "it changes who may do what",
    "cluster": "it changes the cluster",
    "sync": "it is the replication protocol",
    "psync": "it is the replication protocol",
    "client|kill": "it disconnects other clients",
    "client|pause": "it freezes every client",
    "script|flush": "it drops everyone's cached scripts",
    "function|flush": "it drops everyone's functions",
    "function|restore": "it replaces everyone's functions",
    "function|delete": "it deletes functions others use",
}
PREFIX = f"katas-{HOST_TAG}-"
DENIED_RE = re.compile(r"has no permissions to run the '([\w|]+)' command", re.I)


def refusal(message: str) -> str | None:
    """One sentence for a command the ACL refused, from redis-py's NoPermissionError text."""
    m = DENIED_RE.search(message)
    if not m:
        return None
    command = m.group(1).lower()
    why = DENIED.get(command) or DENIED.get(command.split("|")[0]) or "it acts on the whole server"
    return (
        f"{command.upper().replace('|', ' ')} is not allowed here: {why}. The code under test may do anything "
        "to its own test's keys (FLUSHDB, DEL) — each test starts from an empty database."
    )


@dataclass(frozen=True)
class UserName:
    """What a learner user's name says: `katas-<host tag>-<pid>-db<n>` — which run, and its database."""

    tag: str
    pid: int
    db: int | None

    @property
    def mine(self) -> bool:
        """Made by a run on this host, so `pid` can be checked."""
        return self.tag == HOST_TAG

    @property
    def gone(self) -> bool:
        """A run on this host whose process has ended."""
        return self.mine and not process.alive(self.pid)


NAME = re.compile(r"^katas-(?P<tag>[0-9a-f]{4})-(?P<pid>\d+)(?:-db(?P<db>\d+))?$")


def parse(name: str) -> UserName | None:
    """The run behind a user name, or None for a user the suite did not create."""
    m = NAME.match(name)
    if not m:
        return None
    return UserName(m.group("tag"), int(m.group("pid")), int(m.group("db")) if m.group("db") else None)


class LearnerUser:
    """An ACL user of this process's own, on one server (dropped when the run ends).

    Its name records the database the run uses, so that if the run is killed, a later run can tell
    that the keys left there are its leftovers (`sweep`).
    """

    def __init__(self, admin: redis.Redis, db: int) -> None:
        self.admin = admin
        self.name = f"{PREFIX}{os.getpid()}-db{db}"
        self.password = secrets.token_urlsafe(18)
        rules = ["reset", "on", f">{self.password}", "~*", "&*", "+@all", *(f"-{c}" for c in DENIED)]
        admin.execute_command("ACL", "SETUSER", self.name, *rules)

    def url(self, server_url: str) -> str:
        """`server_url` with this user's credentials."""
        parts = urlsplit(server_url)
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit(parts._replace(netloc=f"{quote(self.name)}:{quote(self.password)}@{host}"))

    def drop(self) -> None:
        self.admin.acl_deluser(self.name)


def make_learner_user(admin: redis.Redis, db: int) -> tuple[LearnerUser | None, str | None]:
    """(the user, None), or (None, why not) on a server without ACLs; sweeps what dead runs left first."""
    try:
        sweep(admin)
        return LearnerUser(admin, db), None
    except redis.ResponseError as exc:
        if "unknown command" in str(exc).lower():
            return None, "this Redis server predates ACLs (Redis 6), so code under test runs with full powers"
        raise


def remove(admin: redis.Redis, name: str, user: UserName) -> int:
    """Delete a run's user and empty the database it used; the number of keys that were left there."""
    left = 0
    if user.db is not None:
        pool = admin.connection_pool
        same_server = redis.ConnectionPool(
            connection_class=pool.connection_class, **{**pool.connection_kwargs, "db": user.db}
        )
        with redis.Redis(connection_pool=same_server) as client:
            left = client.dbsize()
            client.flushdb()
    admin.acl_deluser(name)
    return left


def sweep(admin: redis.Redis) -> dict[str, int]:
    """Remove what runs on this host whose process is gone left: their users, and the keys in their
    databases (a killed run never flushed them). {user name: keys removed}."""
    gone = {}
    for name in admin.acl_users():
        name = name.decode() if isinstance(name, bytes) else name
        user = parse(name)
        if user is not None and user.gone:
            gone[name] = remove(admin, name, user)
    return gone
