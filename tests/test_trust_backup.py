"""Backup and restore: every table row for row and every attachment file byte for byte; refusals."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.api import services as api_tokens
from portal.backup.services import MANIFEST, SKIPPED_TABLES, create_backup, restore_backup
from portal.common import utcnow
from portal.content import services as content
from portal.content.models import CoOwnerInvitation, Item, SlugRedirect
from portal.content.storage import file_store
from portal.extensions import db
from portal.moderation import services as moderation
from portal.monitor import services as monitor
from portal.ocds import services as ocds
from portal.ops.schedule import run_due_jobs
from portal.organisations.models import Organisation
from portal.outbox.models import OutboxMessage
from portal.permissions import SYSTEM, PermissionDenied
from portal.planning.models import PlannedTender, PlannedTenderInterest
from portal.questions.models import Answer, Question, question_mentions
from portal.search import spelling
from portal.search.models import SearchEvent
from portal.search.saved import save_search
from portal.seeding import seed
from tests.factories import make_item, make_user
from tests.test_files import make_pdf


def dump() -> dict[str, list[tuple]]:
    """Every backed-up table's rows, in primary-key order, as the database gives them back."""
    return {
        table.name: [
            tuple(row)
            for row in db.session.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in db.metadata.sorted_tables
        if table.name not in SKIPPED_TABLES
    }


def upload_files() -> dict[str, bytes]:
    """Every stored attachment file, from the store the app uses (a folder or the S3 bucket)."""
    store = file_store()
    files = {}
    for stored in store.files():
        with store.open(stored.name) as opened:
            files[stored.name] = opened.stream.read()
    return files


@pytest.fixture(params=["local", "s3"])
def backend(request) -> str:
    """Run the test with the attachments in the local folder, then in an S3 bucket."""
    if request.param == "s3":
        request.getfixturevalue("s3_backend")
    return request.param


def empty_site() -> None:
    """What a fresh `flask db upgrade` leaves: no rows (as the conftest cleanup), no uploads."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    store = file_store()
    for stored in store.files():
        store.delete(stored.name)


def rename(item: Item, title: str) -> None:
    snapshot = content.snapshot(item)
    data = content.ItemData(**{**snapshot, "co_owners": list(item.co_owners), "title": title})
    content.update_item(item, data, actor=SYSTEM)


def full_site() -> None:
    """The demo data plus a row in every table the demo leaves empty, through the services."""
    seed(demo_password="demo-MVI-2026")
    db.session.commit()
    member = db.session.scalar(select(User).where(User.email == "femke.willems@heumen.nl"))
    moderator = db.session.scalar(select(User).where(User.is_moderator))
    tender = db.session.scalar(
        select(Item)
        .where(Item.kind == "tender", Item.status == "published", Item.visibility == "public")
        .order_by(Item.id)
    )
    content.toggle_bookmark(tender, actor=member)
    content.toggle_useful(tender, actor=member)
    content.report_item(tender, "Bedragen kloppen niet — €, ü en 'quotes'.", actor=member)
    content.add_attachment(tender, "extra.pdf", make_pdf("Extra bijlage"), actor=SYSTEM)
    save_search("q=asfalt+mki&thema=circulair", "Asfalt", actor=member)
    answer = db.session.scalar(select(Answer).order_by(Answer.id))
    moderation.set_answer_hidden(answer, True, actor=moderator)
    rename(tender, tender.title + " (herzien)")
    accounts.request_password_reset(member.email, actor=SYSTEM)
    question = db.session.scalar(select(Question).order_by(Question.id))
    db.session.execute(insert(question_mentions).values(question_id=question.id, user_id=member.id))
    other = next(o for o in db.session.scalars(select(Organisation)) if o not in tender.owners)
    db.session.add(CoOwnerInvitation(item_id=tender.id, organisation_id=other.id))
    db.session.add(
        OutboxMessage(
            topic="index",
            payload={"ids": [tender.id], "note": "ö", "nested": {"a": [1, 2.5, None, True]}},
            available_at=datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC),
        )
    )
    registered = monitor.create_record(
        tender.organisation,
        monitor.RecordData(reference="Zaak 2025/ü", title="Registratie — €", year=2025,
                           value_min=1000, value_max=3000, mvi_applied=True,
                           mvi=[{"theme": "social-return", "instrument": "voorschrijven"}]),
        actor=SYSTEM,
    )  # fmt: skip
    monitor.promote_record(registered, actor=SYSTEM)
    # A tender imported from OCDS keeps its ocid (a column the demo leaves empty).
    made = ocds.import_ocds(
        (Path(__file__).parent / "fixtures" / "ocds" / "package.json").read_bytes(), actor=SYSTEM
    )
    assert len(made.created) == 1
    # Search insights: an old event the housekeeping folds into the totals, and a recent one.
    db.session.add_all([
        SearchEvent(at=datetime(2025, 11, 2, 9, 0, tzinfo=UTC), query="kantine — ü", results=0),
        SearchEvent(at=utcnow(), query="vlees", results=3),
    ])  # fmt: skip

    vaals, beek = (
        db.session.scalar(select(PlannedTender).where(PlannedTender.reference == reference))
        for reference in ("VA-2027-01", "BK-2027-01")
    )
    db.session.add(
        PlannedTenderInterest(
            source=vaals, target=beek, status="accepted", created_by_id=member.id,
            decided_by_id=moderator.id, decided_at=datetime(2026, 3, 29, 2, 0, tzinfo=UTC),
        )
    )  # fmt: skip
    _token, _plain = api_tokens.create_api_token("Koppeling — ü", "write", utcnow().date(),
                                                 actor=member)  # fmt: skip
    run_due_jobs(datetime(2026, 3, 30, 4, 0, tzinfo=UTC))  # the schedule's housekeeping runs
    db.session.commit()
    spelling.refresh(force=True)  # the worker's round builds the spelling vocabulary
    lesson = db.session.scalar(
        select(Item)
        .where(Item.kind == "lesson", Item.status == "published", Item.visibility == "public")
        .order_by(Item.id)
    )
    moderation.hide_item(lesson, "Dubbel.", actor=moderator)  # its words leave the hints
    db.session.commit()


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_backup_and_restore_give_an_identical_site(app, tmp_path, backend):
    full_site()
    before, files = dump(), upload_files()
    empty = [name for name, rows in before.items() if not rows]
    assert not empty, (
        f"give these tables a row in full_site() so the backup test covers them: {empty}"
    )
    assert db.session.scalar(select(func.count(SlugRedirect.old_slug))) == 1 and len(files) >= 9

    path = tmp_path / "site.zip"
    result = invoke(app, "backup", "create", str(path))
    assert result.exit_code == 0, result.output
    assert "Back-up geschreven" in result.output and path.stat().st_mode & 0o077 == 0
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    assert manifest["alembic_revision"] and manifest["format_version"] == 1
    assert manifest["tables"]["items"]["rows"] == len(before["items"])
    assert set(manifest["files"]) == set(files) and "search_documents" not in manifest["tables"]
    again = invoke(app, "backup", "create", str(path))
    assert again.exit_code == 1 and "bestaat al" in again.output

    empty_site()
    assert upload_files() == {} and not any(dump().values())
    result = invoke(app, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "teruggezet" in result.output and "Zoekindex herbouwd" in result.output

    after = dump()
    for name, rows in before.items():
        assert after[name] == rows, name
    assert upload_files() == files
    from portal.search.services import check

    report = check()
    assert report.missing == [] and report.stale == []
    # New rows still get fresh ids (PostgreSQL's sequences were moved past the restored ids).
    user = make_user("nieuw@utrecht.nl")
    item = make_item("lesson", db.session.scalar(select(Organisation).order_by(Organisation.id)))
    assert user.id > max(row[0] for row in before["users"])
    assert item.id > max(row[0] for row in before["items"])


def small_backup(tmp_path) -> Path:
    """A backup of the vocabularies only."""
    path = tmp_path / "small.zip"
    create_backup(path, actor=SYSTEM)
    return path


def rewrite(path: Path, target: Path, change) -> Path:
    """Copy the archive member by member, letting change(name, data) alter or drop (None) each."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                out.writestr(info.filename, data)
    return target


def manifest_change(**values):
    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        return json.dumps({**json.loads(data), **values}).encode()

    return change


def refused(app, path: Path, message: str) -> None:
    rows_before = dump()
    result = invoke(app, "backup", "restore", str(path))
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert dump() == rows_before and upload_files() == {}


def test_restore_refuses_a_database_with_rows(app, taxonomy, tmp_path):
    path = small_backup(tmp_path)
    refused(app, path, "De database is niet leeg")


def missing_file(path: Path, tmp_path: Path) -> Path:
    return tmp_path / "ontbreekt.zip"


def not_a_zip(path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "tekst.zip"
    target.write_text("geen zip", encoding="utf-8")
    return target


def changed(change):
    return lambda path, tmp_path: rewrite(path, tmp_path / "veranderd.zip", change)


def without(member: str):
    return changed(lambda name, data: None if name == member else data)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (missing_file, "bestaat niet"),
        (not_a_zip, "geen leesbaar zip-bestand"),
        (without(MANIFEST), "manifest.json ontbreekt"),
        (changed(manifest_change(format="iets-anders")), "onbekend formaat"),
        (changed(manifest_change(format_version=9)), "formaatversie 9"),
        (changed(lambda name, data: data.replace(b"circulair", b"circulaiR")), "beschadigd"),
        (without("tables/themes.jsonl"), "ontbreekt in het archief"),
        (changed(manifest_change(alembic_revision="0009")), "databaseversie 0009"),
    ],
    ids=["missing", "not-a-zip", "no-manifest", "foreign", "newer-format", "damaged",
         "incomplete", "other-revision"],
)  # fmt: skip
def test_restore_refuses_foreign_damaged_or_other_version_files(
    app, taxonomy, tmp_path, make, message
):
    broken = make(small_backup(tmp_path), tmp_path)
    empty_site()
    refused(app, broken, message)


def test_a_restore_the_database_refuses_leaves_no_rows_and_no_files(app, tmp_path, world, backend):
    item = make_item("tender", world.utrecht)
    content.add_attachment(item, "a.pdf", make_pdf(), actor=SYSTEM)
    db.session.commit()
    path = tmp_path / "site.zip"
    create_backup(path, actor=SYSTEM)

    def duplicate_theme(name: str, data: bytes) -> bytes:
        if name != "tables/themes.jsonl":
            return data
        first = data.splitlines(keepends=True)[0]
        return data + first  # the same primary key twice

    broken = rewrite(path, tmp_path / "dubbel.zip", duplicate_theme)
    with zipfile.ZipFile(broken) as archive:
        themes = archive.read("tables/themes.jsonl")
        manifest = json.loads(archive.read(MANIFEST))
    manifest["tables"]["themes"].update(
        sha256=hashlib.sha256(themes).hexdigest(), rows=themes.count(b"\n")
    )
    broken = rewrite(broken, tmp_path / "dubbel2.zip", manifest_change(tables=manifest["tables"]))
    empty_site()
    refused(app, broken, "De database weigerde de back-up")


def test_restore_refuses_an_upload_directory_with_other_files(app, tmp_path, world, backend):
    path = tmp_path / "site.zip"
    create_backup(path, actor=SYSTEM)
    empty_site()
    stray = "0123456789abcdef0123456789abcdef"
    file_store().put(stray, b"half geschreven")
    result = invoke(app, "backup", "restore", str(path))
    where = "uploadmap" if backend == "local" else "S3-bucket"
    assert result.exit_code == 1 and f"De {where}" in result.output and "niet leeg" in result.output
    assert upload_files() == {stray: b"half geschreven"} and not any(dump().values())


def test_backup_check_reports_a_good_file(app, tmp_path, world):
    path = tmp_path / "site.zip"
    create_backup(path, actor=SYSTEM)
    result = invoke(app, "backup", "check", str(path))
    assert result.exit_code == 0 and "Back-up in orde" in result.output


def test_only_site_administrators_may_back_up_or_restore(app, tmp_path, world):
    with pytest.raises(PermissionDenied):
        create_backup(tmp_path / "x.zip", actor=world.utrecht_admin)
    with pytest.raises(PermissionDenied):
        restore_backup(tmp_path / "x.zip", actor=world.moderator)
    assert not (tmp_path / "x.zip").exists()
    create_backup(tmp_path / "x.zip", actor=world.site_admin)
