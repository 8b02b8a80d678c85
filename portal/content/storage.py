"""Attachment files on disk: find orphans (a file without a row) and missing files (a row without
its file), and remove orphans once they are old enough not to be an upload still in flight."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.common import utcnow
from portal.content.models import Attachment
from portal.extensions import db

# An upload writes its file before its row is committed: younger orphans may still get theirs.
DEFAULT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class StoredFile:
    name: str  # relative to UPLOAD_DIR, with '/'
    size: int
    modified_at: datetime


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


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def stored_files(directory: Path | None = None) -> dict[str, StoredFile]:
    """Every regular file under the upload directory (also in subfolders, which uploads never use)."""
    root = directory or upload_dir()
    found: dict[str, StoredFile] = {}
    if not root.is_dir():
        return found
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        stat = path.stat()
        name = path.relative_to(root).as_posix()
        found[name] = StoredFile(
            name=name,
            size=stat.st_size,
            modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
        )
    return found


def check_files() -> FilesReport:
    """Compare the upload directory with the attachments table."""
    # Files first, rows second: an upload committed in between then counts as having its row.
    on_disk = stored_files()
    rows = db.session.execute(
        select(
            Attachment.id, Attachment.item_id, Attachment.stored_name, Attachment.original_name
        ).order_by(Attachment.id)
    ).all()
    known = {row.stored_name for row in rows}
    root = upload_dir()
    return FilesReport(
        orphans=[f for name, f in on_disk.items() if name not in known],
        missing=[
            MissingFile(row.id, row.item_id, row.stored_name, row.original_name)
            for row in rows
            if not (root / row.stored_name).is_file()
        ],
    )


def remove_orphans(
    report: FilesReport, *, grace: timedelta = DEFAULT_GRACE, now: datetime | None = None
) -> list[StoredFile]:
    """Delete the report's orphans older than grace; return the removed ones (also in report)."""
    cutoff = (now or utcnow()) - grace
    root = upload_dir()
    known = set(db.session.scalars(select(Attachment.stored_name)))
    for orphan in report.orphans:
        path = root / orphan.name
        try:
            modified_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except FileNotFoundError:
            continue
        # Checked again just before deleting: the file may have been touched or got its row.
        if modified_at > cutoff or orphan.name in known:
            continue
        path.unlink(missing_ok=True)
        report.removed.append(orphan)
    return report.removed
