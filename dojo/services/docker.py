"""Docker provider: pinned images through testcontainers, for when an engine answers."""

from __future__ import annotations

import atexit
from dataclasses import dataclass
from typing import Any

from .embedded_postgres import wait_for_sessions
from .errors import ServiceUnavailable
from .settings import POSTGRES_IMAGE, REDIS_ARGS, REDIS_IMAGE, postgres_args


def engine_answers() -> bool:
    """True when a Docker engine responds to a ping (quickly false when none runs)."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:
        return False


@dataclass
class ContainerServer:
    url: str
    container: Any

    def stop(self) -> None:
        try:
            self.container.stop()
        except Exception:
            pass


def _require_engine() -> None:
    if not engine_answers():
        raise ServiceUnavailable("KATAS_SERVICES=docker, but no Docker engine answers.")


def start_redis() -> ContainerServer:
    _require_engine()
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = DockerContainer(REDIS_IMAGE).with_exposed_ports(6379)
    container.with_command(["redis-server", *REDIS_ARGS])
    container.start()
    wait_for_logs(container, "Ready to accept connections", timeout=60)
    host, port = container.get_container_host_ip(), container.get_exposed_port(6379)
    server = ContainerServer(f"redis://{host}:{port}/0", container)
    atexit.register(server.stop)
    return server


def start_postgres() -> ContainerServer:
    _require_engine()
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = (
        DockerContainer(POSTGRES_IMAGE)
        .with_exposed_ports(5432, STANDBY_PORT)
        .with_env("POSTGRES_HOST_AUTH_METHOD", "trust")
        .with_env("POSTGRES_USER", "postgres")
    )
    container.with_command(["postgres", *postgres_args()])
    container.start()
    # The official image restarts once after init; the second "ready" line is the real one.
    wait_for_logs(container, r"(?s)ready to accept connections.*ready to accept connections", timeout=90)
    host, port = container.get_container_host_ip(), container.get_exposed_port(5432)
    server = ContainerServer(f"postgresql://postgres@{host}:{port}/postgres", container)
    atexit.register(server.stop)
    if not wait_for_sessions(server.url, lambda: True, timeout_s=60):
        server.stop()
        raise ServiceUnavailable(f"the {POSTGRES_IMAGE} container did not accept sessions within 60 s.")
    _primaries[server.url] = server
    return server


STANDBY_PORT = 5433
_primaries: dict[str, ContainerServer] = {}


def start_standby(primary_url: str) -> ContainerServer:
    """A hot standby of a primary container, in the primary's own network namespace.

    It replicates over 127.0.0.1, which the image's pg_hba.conf trusts for replication, and listens
    on STANDBY_PORT, which the primary container publishes for it.
    """
    _require_engine()
    from testcontainers.core.container import DockerContainer

    primary = _primaries.get(primary_url)
    if primary is None:
        raise ServiceUnavailable("a docker standby needs a primary container the harness started itself.")
    settings = " ".join(f"-c {arg}" for arg in postgres_args()[1::2])
    script = (
        "pg_basebackup -h 127.0.0.1 -p 5432 -U postgres -D /tmp/standby -R -X stream -c fast --no-sync "
        "--create-slot --slot katas_docker_standby "
        f"&& chmod 700 /tmp/standby && exec postgres -D /tmp/standby -p {STANDBY_PORT} {settings}"
    )
    container = DockerContainer(POSTGRES_IMAGE).with_kwargs(
        network_mode=f"container:{primary.container.get_wrapped_container().id}",
        user="postgres",
        entrypoint=["bash", "-c", script],
    )
    container.start()
    host = primary.container.get_container_host_ip()
    port = primary.container.get_exposed_port(STANDBY_PORT)
    server = ContainerServer(f"postgresql://postgres@{host}:{port}/postgres", container)
    atexit.register(server.stop)
    if not wait_for_sessions(server.url, lambda: True, timeout_s=60):
        server.stop()
        raise ServiceUnavailable("the standby container did not accept sessions within 60 s.")
    return server
