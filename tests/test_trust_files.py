"""`flask files check [--fix]`: orphan files (no attachment row) and missing files (no file)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import current_app

from portal.content import services as content
from portal.content.filecheck import check_files
from portal.content.storage import file_store
from portal.extensions import db
from portal.permissions import SYSTEM
from tests.factories import make_item
from tests.test_files import make_pdf

HOUR = 3600


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def orphan(name: str, *, age_seconds: int) -> Path:
    """A file as a worker killed between writing the upload and inserting its row leaves it."""
    path = upload_dir() / name
    path.write_bytes(b"%PDF-1.4 half")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def attachment(world):
    item = make_item("tender", world.utrecht)
    added = content.add_attachment(item, "rapport.pdf", make_pdf(), actor=SYSTEM)
    db.session.commit()
    return added


def files_check(app, *args: str):
    return app.test_cli_runner().invoke(args=["files", "check", *args])


def test_a_clean_upload_directory_passes(app, world):
    attachment(world)
    result = files_check(app)
    assert result.exit_code == 0, result.output
    assert "0 verweesde bestanden" in result.output and "0 ontbrekende" in result.output


def test_orphans_are_listed_and_only_old_ones_removed_with_fix(app, world):
    kept = attachment(world)
    old = orphan("0123456789abcdef0123456789abcdef", age_seconds=3 * HOUR)
    young = orphan("fedcba9876543210fedcba9876543210", age_seconds=60)

    result = files_check(app)
    assert result.exit_code == 1
    assert old.name in result.output and young.name in result.output
    assert old.exists() and young.exists()  # without --fix nothing is removed

    result = files_check(app, "--fix")
    assert result.exit_code == 1  # the young one may be an upload in flight: it stays, reported
    assert not old.exists() and young.exists() and "jonger dan 60 minuten" in result.output
    assert (upload_dir() / kept.stored_name).exists()

    result = files_check(app, "--fix", "--grace-minutes", "0")
    assert result.exit_code == 0 and not young.exists()
    assert (upload_dir() / kept.stored_name).exists()
    assert check_files().is_clean


def test_missing_files_are_reported_and_cannot_be_fixed(app, world):
    lost = attachment(world)
    (upload_dir() / lost.stored_name).unlink()
    result = files_check(app, "--fix")
    assert result.exit_code == 1
    assert lost.stored_name in result.output and "rapport.pdf" in result.output
    assert "kan deze opdracht niet herstellen" in result.output
    report = check_files()
    assert [m.attachment_id for m in report.missing] == [lost.id] and report.orphans == []


def test_downloading_an_attachment_whose_file_is_lost_says_so_without_a_500(client, world):
    added = attachment(world)
    url = f"/bijlagen/{added.id}/{added.original_name}"
    with client.get(url) as found:
        assert found.status_code == 200
    file_store().delete(added.stored_name)  # lost, e.g. a restore without the files
    response = client.get(url)
    assert response.status_code == 410
    assert "Dit bestand is niet meer beschikbaar" in response.get_data(as_text=True)
