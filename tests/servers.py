"""Throwaway servers for tests that stop them: a Redis and a PostgreSQL cluster of their own, on
free ports of 127.0.0.1 in a temporary folder, each started and stopped by its process id (never
the machine's shared servers)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(ready, what: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{what} stopped at once:\n{log.read_text(errors='replace')[-3000:]}"
            )
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(
        f"{what} not ready after {seconds} s:\n{log.read_text(errors='replace')[-3000:]}"
    )


def _stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class RedisServer:
    """`redis-server` without persistence on its own port; stop() and start() keep the port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.folder / "redis.log"
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--daemonize", "no",
                   "--dir", str(self.folder), "--logfile", str(log)]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - a fixed program and our own arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2, socket_timeout=0.2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        log.touch()
        _wait(answers, "redis-server", self.process, log)

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def postgres_bin() -> Path:
    """The folder of PostgreSQL's server programs (PG_BIN, else Debian's newest)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL's server programs are missing: apt-get install postgresql")
    return found[-1].parent


class PostgresCluster:
    """A cluster of its own (initdb, trust for local connections) served by `postgres` on its own
    port. PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user."""

    def __init__(self) -> None:
        # Not pytest's tmp_path: that sits in a folder only root may enter.
        self.folder = Path(tempfile.mkdtemp(prefix="mvi-test-postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        self.process: subprocess.Popen | None = None
        if self.user:
            shutil.chown(self.folder, self.user, self.user)
        self._run([str(postgres_bin() / "initdb"), "-D", str(self.data), "-U", "postgres",
                   "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, command: list[str]) -> None:
        subprocess.run(command, user=self.user, cwd=self.folder, check=True,  # noqa: S603
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip

    def _answers(self) -> bool:
        try:
            with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                                 connect_timeout=2):  # fmt: skip
                return True
        except psycopg.OperationalError:
            return False

    def start(self) -> None:
        log = self.folder / "postgres.log"
        with log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603
                [str(postgres_bin() / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                 "-c", "full_page_writes=off", "-c", "synchronous_commit=off"],
                user=self.user, cwd=self.folder, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        if self.user:
            shutil.chown(log, self.user, self.user)
        _wait(self._answers, "postgres", self.process, log)

    def create_database(self, name: str) -> None:
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:  # fmt: skip
            connection.execute(f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open connections are cut, as when the server goes down."""
        _stop(self.process, signal.SIGINT)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
