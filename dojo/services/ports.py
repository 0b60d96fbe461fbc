"""Free ports, and starting a server on one (retrying when another process took it first)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from . import process
from .errors import ServiceUnavailable

READY_TIMEOUT_S = 30.0
ATTEMPTS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(proc: subprocess.Popen, port: int, log: Path, what: str) -> None:
    """Wait until `proc` accepts connections on `port`; one sentence if it exits or never does."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise ServiceUnavailable(f"{what} exited at start: {' | '.join(tail)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    process.stop(proc)
    raise ServiceUnavailable(f"{what} did not accept connections within {READY_TIMEOUT_S:.0f} s (log: {log}).")


def start_on_free_port(
    spawn: Callable[[int], subprocess.Popen], log: Path, what: str, port_taken: str = "already in use"
) -> tuple[subprocess.Popen, int]:
    """spawn(port) on a free port until it listens; another process may take the port between
    our check and the server's bind, so a failure that says `port_taken` is retried."""
    for _attempt in range(ATTEMPTS):
        port = free_port()
        proc = spawn(port)
        try:
            wait_for_port(proc, port, log, what)
        except ServiceUnavailable:
            if port_taken in log.read_text(errors="replace"):
                continue
            raise
        return proc, port
    raise ServiceUnavailable(f"{what} found no free port after {ATTEMPTS} attempts.")
