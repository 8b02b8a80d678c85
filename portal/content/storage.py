"""Where attachment files live: one interface, two backends, chosen by STORAGE_BACKEND.

`LocalStorage` keeps the files in a directory (UPLOAD_DIR; the embedded default). `S3Storage` keeps
them as objects in an S3-compatible bucket, so several app servers share them. Nothing else in the
portal touches UPLOAD_DIR or boto3: it asks `file_store()` and uses the `FileStore` operations.
"""

from __future__ import annotations

import os
import re
import shutil
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from flask import current_app

# A stored name: '/'-separated parts of letters, digits, '.', '_' and '-'; never '..' or absolute.
_NAME = re.compile(r"[0-9A-Za-z_-][0-9A-Za-z._-]*(/[0-9A-Za-z_-][0-9A-Za-z._-]*)*")
_CHUNK = 1024 * 1024
BACKENDS = ("local", "s3")


class StorageError(Exception):
    """The store could not be reached or refused the operation (not: the file is missing)."""


@dataclass(frozen=True)
class StoredFile:
    name: str  # relative to the store's root, with '/'
    size: int
    modified_at: datetime


@dataclass
class OpenedFile:
    """A stored file opened for reading; close it (or use `with`) when done."""

    stream: IO[bytes]
    size: int
    modified_at: datetime
    etag: str

    def __enter__(self) -> OpenedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()


@runtime_checkable
class FileStore(Protocol):
    """The operations the portal needs on attachment files, each by stored name."""

    @property
    def location(self) -> str:
        """Where the files are, for messages (a folder, or a bucket and prefix)."""

    def put(self, name: str, data: bytes | IO[bytes]) -> None:
        """Store data (bytes, or a binary stream read to its end) under name, replacing any."""

    def open(self, name: str) -> OpenedFile:
        """Open name for reading; FileNotFoundError when it is not there."""

    def delete(self, name: str) -> None:
        """Remove name; nothing happens when it is not there."""

    def exists(self, name: str) -> bool: ...

    def stat(self, name: str) -> StoredFile | None:
        """Size and modification time of name; None when it is not there."""

    def files(self) -> list[StoredFile]:
        """Every stored file, by name."""

    def ping(self) -> None:
        """Raise StorageError unless files can be stored now (cheap: for /readyz)."""


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name) or ".." in name.split("/"):
        raise ValueError(f"Geen geldige bestandsnaam voor de opslag: {name!r}")
    return name


class LocalStorage:
    """Files in one directory on this server's disk (created when the first file is stored)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    @property
    def location(self) -> str:
        return f"uploadmap {self.directory}"

    def _path(self, name: str) -> Path:
        return self.directory / check_name(name)

    def put(self, name: str, data: bytes | IO[bytes]) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes | bytearray | memoryview):
            path.write_bytes(data)
            return
        with path.open("wb") as out:
            shutil.copyfileobj(data, out, _CHUNK)

    def open(self, name: str) -> OpenedFile:
        path = self._path(name)
        if path.is_symlink() or not path.is_file():
            raise FileNotFoundError(name)
        stream = path.open("rb")
        stat = os.fstat(stream.fileno())
        # The ETag Werkzeug's send_file gives a path, so downloads keep theirs.
        check = zlib.adler32(str(path.resolve()).encode()) & 0xFFFFFFFF
        return OpenedFile(
            stream=stream,
            size=stat.st_size,
            modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
            etag=f"{stat.st_mtime}-{stat.st_size}-{check}",
        )

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        path = self._path(name)
        return path.is_file() and not path.is_symlink()

    def stat(self, name: str) -> StoredFile | None:
        path = self._path(name)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return StoredFile(name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def ping(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"{self.location}: {error.strerror}") from error
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise StorageError(f"{self.location}: niet schrijfbaar")

    def files(self) -> list[StoredFile]:
        """Every regular file under the directory (also in subfolders, which uploads never use)."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            stat = path.stat()
            found.append(
                StoredFile(
                    name=path.relative_to(self.directory).as_posix(),
                    size=stat.st_size,
                    modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
                )
            )
        return found


class S3Storage:
    """Objects in a bucket of an S3-compatible service (AWS S3, MinIO, Ceph, Garage, ...), under
    an optional prefix. The bucket must exist; the keys need get, put, delete and list on it."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
        prefix: str = "",
    ) -> None:
        # Imported here: the local default (and `make run`) never loads boto3.
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self._transfer_config = TransferConfig
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # Empty keys: boto3's own chain (AWS_* variables, an instance role, ~/.aws).
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(
                # Self-hosted services answer on one host name, with the bucket in the path.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    @property
    def location(self) -> str:
        where = f" op {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3-bucket {self.bucket}{where}" + (
            f", prefix {self.prefix}" if self.prefix else ""
        )

    def _key(self, name: str) -> str:
        return self.prefix + check_name(name)

    @contextmanager
    def _answers(self, name: str = "") -> Iterator[None]:
        """A missing object as FileNotFoundError, any other failure as StorageError."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") in {"NoSuchKey", "404", "NotFound"}:
                raise FileNotFoundError(name) from error
            raise StorageError(f"{self.location}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"{self.location}: {error}") from error

    def put(self, name: str, data: bytes | IO[bytes]) -> None:
        key = self._key(name)
        with self._answers(name):
            if isinstance(data, bytes | bytearray | memoryview):
                self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(data))
            else:  # a stream of unknown length (a backup's file): in parts when large
                self.client.upload_fileobj(
                    data, self.bucket, key, Config=self._transfer_config(use_threads=False)
                )

    def open(self, name: str) -> OpenedFile:
        with self._answers(name):
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        return OpenedFile(
            stream=response["Body"],
            size=response["ContentLength"],
            modified_at=response["LastModified"].astimezone(UTC),
            etag=response.get("ETag", "").strip('"'),
        )

    def delete(self, name: str) -> None:
        try:
            with self._answers(name):
                self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except FileNotFoundError:
            pass  # S3 itself answers 204; some compatible services say 404

    def exists(self, name: str) -> bool:
        return self.stat(name) is not None

    def stat(self, name: str) -> StoredFile | None:
        try:
            with self._answers(name):
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except FileNotFoundError:
            return None
        return StoredFile(name, head["ContentLength"], head["LastModified"].astimezone(UTC))

    def ping(self) -> None:
        try:
            with self._answers():
                self.client.head_bucket(Bucket=self.bucket)
        except FileNotFoundError as error:
            raise StorageError(f"{self.location}: de bucket bestaat niet") from error

    def files(self) -> list[StoredFile]:
        found = []
        with self._answers():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for entry in page.get("Contents", []):
                    name = entry["Key"][len(self.prefix) :]
                    if name and not name.endswith("/"):  # not a "folder" marker
                        found.append(
                            StoredFile(name, entry["Size"], entry["LastModified"].astimezone(UTC))
                        )
        return sorted(found, key=lambda f: f.name)


def store_from_settings(config: dict[str, Any]) -> FileStore:
    """The store the settings name (STORAGE_BACKEND and its S3_* or UPLOAD_DIR settings)."""
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend == "local":
        return LocalStorage(config["UPLOAD_DIR"])
    if backend == "s3":
        return S3Storage(
            config["S3_BUCKET"],
            endpoint_url=config.get("S3_ENDPOINT_URL", ""),
            region=config.get("S3_REGION", ""),
            access_key_id=config.get("S3_ACCESS_KEY_ID", ""),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY", ""),
            prefix=config.get("S3_PREFIX", ""),
        )
    raise ValueError(f"STORAGE_BACKEND={backend!r}: kies uit {', '.join(BACKENDS)}")


_SETTINGS = (
    "STORAGE_BACKEND", "UPLOAD_DIR", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION",
    "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PREFIX",
)  # fmt: skip


def file_store() -> FileStore:
    """The current app's store, made once per app (and again when its settings change)."""
    config = current_app.config
    settings = tuple(str(config.get(key, "")) for key in _SETTINGS)
    cached = current_app.extensions.get("file_store")
    if cached is None or cached[0] != settings:
        # One client per process: boto3's clients are thread-safe and keep their connections.
        cached = (settings, store_from_settings(config))
        current_app.extensions["file_store"] = cached
    return cached[1]
