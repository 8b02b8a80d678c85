"""Attachments with STORAGE_BACKEND=s3 against a real S3-compatible server (rclone serve s3 on
127.0.0.1, see tests/s3server.py): the web form, the download, removal, rollback and the file
check. Backup and restore on S3 are in test_trust_backup.py."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal.common import utcnow
from portal.content import services as content
from portal.content.filecheck import check_files, remove_orphans
from portal.content.models import Attachment, Item
from portal.content.storage import S3Storage, file_store
from portal.extensions import db
from portal.permissions import SYSTEM
from tests.factories import make_item
from tests.s3server import BUCKET
from tests.test_content import tender_form
from tests.test_files import make_docx, make_pdf

ORPHAN = "0123456789abcdef0123456789abcdef"


def local_files(app) -> list[Path]:
    return sorted(Path(app.config["UPLOAD_DIR"]).glob("*"))


def test_an_upload_through_the_form_is_an_object_downloaded_and_removed(
    app, client, world, as_user, s3_backend, s3_server
):
    assert isinstance(file_store(), S3Storage)
    item = make_item("tender", world.utrecht, visibility="members")
    as_user(world.utrecht_editor)
    data = make_pdf("Gunning op MKI asfalt")
    response = client.post(
        f"/aanbestedingen/{item.slug}/bijlagen",
        data={"file": (io.BytesIO(data), "bestek.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    attachment = db.session.scalar(select(Attachment))
    assert attachment.original_name == "bestek.pdf" and "MKI" in attachment.text
    key = s3_backend + attachment.stored_name
    assert s3_server.keys(s3_backend) == [key]
    assert s3_server.client().get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
    assert local_files(app) == []  # nothing on this server's disk

    url = f"/bijlagen/{attachment.id}/bestek.pdf"
    download = client.get(url)
    assert download.status_code == 200 and download.get_data() == data
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename=bestek.pdf"
    assert download.headers["Content-Length"] == str(len(data))
    assert download.headers["Accept-Ranges"] == "bytes"
    assert download.headers["ETag"] and download.headers["Last-Modified"]
    assert download.headers["Cache-Control"] == "private, no-store"  # a member's download
    download.close()
    part = client.get(url, headers={"Range": "bytes=1-4"})
    assert part.status_code == 206 and part.get_data() == data[1:5]
    assert part.headers["Content-Range"] == f"bytes 1-4/{len(data)}"
    part.close()
    again = client.get(url, headers={"If-None-Match": download.headers["ETag"]})
    assert again.status_code == 304
    again.close()

    client.post("/uitloggen")
    assert client.get(url).status_code == 404  # a visitor, a members-only item: the check stays
    as_user(world.utrecht_editor)
    response = client.post(f"/aanbestedingen/{item.slug}/bijlagen/{attachment.id}/verwijderen")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert s3_server.keys(s3_backend) == []  # the object is gone


def test_a_refused_file_on_the_create_form_leaves_no_object(
    client, world, as_user, s3_backend, s3_server
):
    as_user(world.utrecht_member)
    files = [("bestek.docx", make_docx()), ("factuur.pdf", b"MZ\x90\x00" + b"\x00" * 100)]
    data = tender_form(attachments=[(io.BytesIO(body), name) for name, body in files])
    response = client.post("/aanbestedingen/nieuw", data=data, content_type="multipart/form-data")
    # bestek.docx was stored before factuur.pdf was refused; the rollback removed its object.
    assert response.status_code == 400 and "PDF" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Item.id))) == 0
    assert s3_server.keys(s3_backend) == []

    response = client.post(
        "/aanbestedingen/nieuw",
        data=tender_form(attachments=[(io.BytesIO(body), name) for name, body in files[:1]]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302  # the same file alone is stored: the refusal was real
    assert len(s3_server.keys(s3_backend)) == 1


def test_a_rolled_back_attachment_leaves_no_object(world, s3_backend, s3_server):
    item = make_item("tender", world.utrecht)
    added = content.add_attachment(item, "rapport.pdf", make_pdf(), actor=SYSTEM)
    assert s3_server.keys(s3_backend) == [s3_backend + added.stored_name]  # stored before commit
    db.session.rollback()
    assert s3_server.keys(s3_backend) == []


def test_an_unreachable_store_refuses_the_upload_with_a_message(
    app, client, world, as_user, s3_backend
):
    item = make_item("tender", world.utrecht)
    as_user(world.utrecht_editor)
    endpoint = app.config["S3_ENDPOINT_URL"]
    app.config["S3_ENDPOINT_URL"] = "http://127.0.0.1:9"  # discard port: nothing listens
    try:
        response = client.post(
            f"/aanbestedingen/{item.slug}/bijlagen",
            data={"file": (io.BytesIO(make_pdf()), "bestek.pdf")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
    finally:
        app.config["S3_ENDPOINT_URL"] = endpoint
    assert "Het bestand kon nu niet worden opgeslagen" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_the_file_check_finds_and_removes_orphan_objects_and_reports_missing_ones(
    app, client, as_user, world, s3_backend, s3_server
):
    item = make_item("tender", world.utrecht)
    kept = content.add_attachment(item, "rapport.pdf", make_pdf(), actor=SYSTEM)
    lost = content.add_attachment(item, "kwijt.pdf", make_pdf("Kwijt"), actor=SYSTEM)
    db.session.commit()
    # As a worker killed between storing an upload and inserting its row leaves it:
    s3_server.client().put_object(Bucket=BUCKET, Key=s3_backend + ORPHAN, Body=b"%PDF-1.4 half")
    s3_server.client().delete_object(Bucket=BUCKET, Key=s3_backend + lost.stored_name)

    result = app.test_cli_runner().invoke(args=["files", "check", "--fix"])
    assert result.exit_code == 1, result.output
    assert f"S3-bucket {BUCKET}" in result.output and ORPHAN in result.output
    assert "jonger dan 60 minuten" in result.output  # just stored: it may be an upload in flight
    assert lost.stored_name in result.output and "kwijt.pdf" in result.output
    report = check_files()
    assert [f.name for f in report.orphans] == [ORPHAN]
    assert [m.attachment_id for m in report.missing] == [lost.id]

    assert remove_orphans(report, now=utcnow()) == []  # younger than the hour of grace
    assert [f.name for f in remove_orphans(report, now=utcnow() + timedelta(hours=2))] == [ORPHAN]
    assert s3_server.keys(s3_backend) == [s3_backend + kept.stored_name]

    as_user(world.utrecht_editor)
    response = client.get(f"/bijlagen/{lost.id}/kwijt.pdf")
    assert response.status_code == 410
    assert "Dit bestand is niet meer beschikbaar" in response.get_data(as_text=True)
    with client.get(f"/bijlagen/{kept.id}/rapport.pdf") as found:
        assert found.status_code == 200 and found.get_data() == make_pdf()
