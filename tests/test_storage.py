"""The storage contract: the same tests on the local directory and on a real S3-compatible server
(rclone serve s3, started by the session on 127.0.0.1; see tests/s3server.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from portal.common import utcnow
from portal.config import ConfigError, check_storage
from portal.content.storage import (
    FileStore,
    LocalStorage,
    S3Storage,
    StorageError,
    file_store,
    store_from_settings,
)
from tests.s3server import ACCESS_KEY_ID, BUCKET, SECRET_ACCESS_KEY

NAME = "0123456789abcdef0123456789abcdef"


def s3_store(server, prefix: str, **overrides) -> S3Storage:
    settings = {
        "endpoint_url": server.endpoint_url,
        "region": "us-east-1",
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET_ACCESS_KEY,
        "prefix": prefix,
    }
    return S3Storage(BUCKET, **{**settings, **overrides})


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> FileStore:
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    server = request.getfixturevalue("s3_server")
    prefix = f"contract-{uuid.uuid4().hex[:12]}"
    request.addfinalizer(lambda: server.empty(prefix + "/"))
    return s3_store(server, prefix)


def test_a_reachable_store_answers_the_ping(store):
    store.ping()


def test_a_stored_file_reads_back_byte_for_byte(store):
    data = bytes(range(256)) * 40
    store.put(NAME, data)
    with store.open(NAME) as opened:
        assert opened.stream.read() == data
        assert opened.size == len(data)
        assert abs(opened.modified_at - utcnow()) < timedelta(minutes=1)
        assert opened.etag


def test_put_replaces_and_takes_a_stream(store):
    store.put(NAME, b"first version")
    # Larger than one part of an S3 multipart upload (8 MB): the way a restore stores files.
    big = os.urandom(9 * 1024 * 1024)
    store.put(NAME, io.BytesIO(big))
    with store.open(NAME) as opened:
        assert opened.size == len(big) and opened.stream.read() == big


def test_a_missing_file_is_file_not_found_and_none(store):
    with pytest.raises(FileNotFoundError):
        store.open(NAME)
    assert store.stat(NAME) is None
    assert store.exists(NAME) is False
    store.delete(NAME)  # nothing there: no error


def test_delete_removes_the_file(store):
    store.put(NAME, b"weg ermee")
    assert store.exists(NAME)
    store.delete(NAME)
    assert not store.exists(NAME)
    assert store.files() == []
    with pytest.raises(FileNotFoundError):
        store.open(NAME)


def test_files_lists_every_file_with_size_and_time(store):
    assert store.files() == []
    store.put("b" * 32, b"12345")
    store.put("a" * 32, b"1")
    listed = store.files()
    assert [(f.name, f.size) for f in listed] == [("a" * 32, 1), ("b" * 32, 5)]
    assert all(abs(f.modified_at - utcnow()) < timedelta(minutes=1) for f in listed)
    stat = store.stat("b" * 32)
    assert stat is not None and (stat.name, stat.size) == ("b" * 32, 5)


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "a/../../b", "", "a b", ".hidden"])
def test_a_name_that_could_leave_the_store_is_refused(store, name):
    with pytest.raises(ValueError, match="Geen geldige bestandsnaam"):
        store.put(name, b"x")
    with pytest.raises(ValueError, match="Geen geldige bestandsnaam"):
        store.open(name)


def test_the_s3_prefix_keeps_the_portal_to_its_own_keys(s3_server):
    prefix = f"prefix-{uuid.uuid4().hex[:12]}"
    try:
        s3_server.client().put_object(Bucket=BUCKET, Key=f"{prefix}-other/x", Body=b"not ours")
        store = s3_store(s3_server, prefix + "/")  # a trailing slash or not: the same prefix
        store.put(NAME, b"ours")
        assert [f.name for f in store.files()] == [NAME]
        assert s3_server.keys(prefix) == [f"{prefix}-other/x", f"{prefix}/{NAME}"]
        assert store.location == f"S3-bucket {BUCKET} op {s3_server.endpoint_url}, prefix {prefix}/"
    finally:
        s3_server.empty(prefix)


def test_s3_failures_are_storage_errors_not_missing_files(s3_server):
    wrong_key = s3_store(s3_server, "x", secret_access_key="not-the-secret-key-000000")
    with pytest.raises(StorageError, match="SignatureDoesNotMatch"):
        wrong_key.put(NAME, b"x")
    with pytest.raises(StorageError):
        wrong_key.files()
    no_bucket = S3Storage(
        "no-such-bucket", endpoint_url=s3_server.endpoint_url, region="us-east-1",
        access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY,
    )  # fmt: skip
    with pytest.raises(StorageError, match="NoSuchBucket"):
        no_bucket.files()
    with pytest.raises(StorageError, match="de bucket bestaat niet"):
        no_bucket.ping()
    with pytest.raises(StorageError, match=r"403|Forbidden"):
        wrong_key.ping()


def test_a_local_folder_that_cannot_be_made_fails_the_ping(tmp_path):
    (tmp_path / "bestand").write_bytes(b"geen map")
    with pytest.raises(StorageError, match="uploadmap"):
        LocalStorage(tmp_path / "bestand" / "uploads").ping()


def test_readyz_checks_the_s3_bucket(app, client, s3_backend):
    response = client.get("/readyz")
    assert response.json["checks"]["storage"]["ok"], response.json
    assert f"S3-bucket {BUCKET}" in response.json["checks"]["storage"]["detail"]
    bucket = app.config["S3_BUCKET"]
    app.config["S3_BUCKET"] = "weg"
    try:
        response = client.get("/readyz")
    finally:
        app.config["S3_BUCKET"] = bucket
    storage = response.json["checks"]["storage"]
    assert response.status_code == 503 and not storage["ok"]
    assert "S3-bucket weg" in storage["detail"] and "bestaat niet" in storage["detail"]


def test_the_settings_choose_the_store(app, tmp_path, s3_server):
    local = store_from_settings({"STORAGE_BACKEND": "local", "UPLOAD_DIR": tmp_path})
    assert isinstance(local, LocalStorage) and local.directory == tmp_path
    settings = {"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_PREFIX": "p"}
    s3 = store_from_settings({**settings, "S3_ENDPOINT_URL": s3_server.endpoint_url})
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == (BUCKET, "p/")
    # The test app's default is the local directory, made once and kept.
    assert isinstance(file_store(), LocalStorage) and file_store() is file_store()
    assert file_store().directory == app.config["UPLOAD_DIR"]


def test_an_unknown_backend_or_s3_without_a_bucket_stops_the_start():
    check_storage({"STORAGE_BACKEND": "local"})
    check_storage({"STORAGE_BACKEND": "s3", "S3_BUCKET": "b"})
    with pytest.raises(ConfigError, match="onbekend"):
        check_storage({"STORAGE_BACKEND": "ftp"})
    with pytest.raises(ConfigError, match="S3_BUCKET"):
        check_storage({"STORAGE_BACKEND": "s3", "S3_BUCKET": ""})


def test_the_local_default_does_not_load_boto3():
    code = (
        "import sys; from portal import create_app; app = create_app({'TESTING': True});"
        "from portal.content.storage import file_store;"
        "app.app_context().push(); file_store().files();"
        "print('boto3' in sys.modules)"
    )
    env = {**os.environ, "STORAGE_BACKEND": "local", "DATABASE_URL": "sqlite://"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_only_the_storage_module_touches_upload_dir_or_boto3():
    portal = Path(__file__).resolve().parents[1] / "portal"

    def mentioning(*words: str) -> set[str]:
        return {
            path.relative_to(portal).as_posix()
            for path in portal.rglob("*.py")
            if any(word in path.read_text(encoding="utf-8") for word in words)
        }

    # config.py reads the setting; bench.py gives its throw-away app a folder of its own.
    assert mentioning("UPLOAD_DIR") == {"config.py", "content/storage.py", "bench.py"}
    assert mentioning("boto3", "botocore") == {"content/storage.py"}
