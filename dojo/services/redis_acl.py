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


class LearnerUser:
    """An ACL user of this process's own, on one server (dropped when the run ends)."""

    def __init__(self, admin: redis.Redis) -> None:
        self.admin = admin
        self.name = f"{PREFIX}{os.getpid()}"
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


def make_learner_user(admin: redis.Redis) -> tuple[LearnerUser | None, str | None]:
    """(the user, None), or (None, why not) on a server without ACLs; sweeps users of dead runs first."""
    try:
        sweep(admin)
        return LearnerUser(admin), None
    except redis.ResponseError as exc:
        if "unknown command" in str(exc).lower():
            return None, "this Redis server predates ACLs (Redis 6), so code under test runs with full powers"
        raise


def sweep(admin: redis.Redis) -> list[str]:
    """Delete the users of runs on this host whose process is gone; their names."""
    gone = []
    for name in admin.acl_users():
        name = name.decode() if isinstance(name, bytes) else name
        if name.startswith(PREFIX) and name[len(PREFIX) :].isdigit() and not process.alive(int(name[len(PREFIX) :])):
            admin.acl_deluser(name)
            gone.append(name)
    return gone
