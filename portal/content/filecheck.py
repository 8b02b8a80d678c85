"""Attachment files in the store: find orphans (a file without a row) and missing files (a row
without its file), and remove orphans once they are old enough not to be an upload still in
flight. The same on a local directory and on S3 (through `file_store()`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.common import utcnow
from portal.content.models import Attachment
from portal.content.storage import StoredFile, file_store
from portal.extensions import db

# An upload writes its file before its row is committed: younger orphans may still get theirs.
DEFAULT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class MissingFile:
    attachment_id: int
    item_id: int
    stored_name: str
    original_name: str


@dataclass
class FilesReport:
    orphans: list[StoredFile] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)
    removed: list[StoredFile] = field(default_factory=list)

    @property
    def remaining_orphans(self) -> list[StoredFile]:
        return [f for f in self.orphans if f not in self.removed]

    @property
    def is_clean(self) -> bool:
        return not self.remaining_orphans and not self.missing


def check_files() -> FilesReport:
    """Compare the stored files with the attachments table."""
    store = file_store()
    # Files first, rows second: an upload committed in between then counts as having its row.
    stored = {f.name: f for f in store.files()}
    rows = db.session.execute(
        select(
            Attachment.id, Attachment.item_id, Attachment.stored_name, Attachment.original_name
        ).order_by(Attachment.id)
    ).all()
    known = {row.stored_name for row in rows}
    return FilesReport(
        orphans=[f for name, f in stored.items() if name not in known],
        missing=[
            MissingFile(row.id, row.item_id, row.stored_name, row.original_name)
            for row in rows
            # Asked again (one request on S3) only for a row the listing did not have: its file
            # may have been stored after the listing.
            if row.stored_name not in stored and not store.exists(row.stored_name)
        ],
    )


def remove_orphans(
    report: FilesReport, *, grace: timedelta = DEFAULT_GRACE, now: datetime | None = None
) -> list[StoredFile]:
    """Delete the report's orphans older than grace; return the removed ones (also in report)."""
    cutoff = (now or utcnow()) - grace
    store = file_store()
    known = set(db.session.scalars(select(Attachment.stored_name)))
    for orphan in report.orphans:
        current = store.stat(orphan.name)
        # Checked again just before deleting: the file may have been touched or got its row.
        if current is None or current.modified_at > cutoff or orphan.name in known:
            continue
        store.delete(orphan.name)
        report.removed.append(orphan)
    return report.removed
