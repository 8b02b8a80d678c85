"""Write the whole site into one file and put it back into an empty install.

The file is a zip archive:

    manifest.json           format and version, Alembic revision, created_at, per table its
                            columns, row count and sha256, per attachment file its size and sha256
    tables/<table>.jsonl    one JSON object per row, in primary-key order
    files/<stored_name>     the attachment files, byte for byte

The tables are the models' metadata in foreign-key order, so a new table is included without an
edit here. `search_documents` is left out: it is rebuilt from the items after a restore (and on
PostgreSQL it holds tsvector columns the models do not know).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

import portal.outbox.models  # noqa: F401  (the outbox table belongs in the metadata, and so in the backup)
from portal.common import as_utc, utcnow
from portal.content.models import Attachment
from portal.content.storage import FileStore, StorageError, file_store
from portal.extensions import db
from portal.permissions import Actor, authorized_by, can_administer_site

FORMAT = "mvi-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SKIPPED_TABLES = frozenset({"search_documents"})
# Tables without a model, made by migrations on PostgreSQL only and rebuilt with the index
# (the indexed words for typo tolerance, migration 0023): neither backed up nor "unknown".
UNMODELLED_TABLES = frozenset({"search_lexemes"})
# What add_attachment stores: a random name, never a path.
_STORED_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}")
_CHUNK = 1024 * 1024
_BATCH = 500


class BackupError(Exception):
    """A refused or failed backup or restore, with a Dutch message for the operator."""


@dataclass
class BackupReport:
    path: Path
    revision: str
    rows: dict[str, int]
    files: int
    file_bytes: int
    missing_files: list[str]


@dataclass
class RestoreReport:
    revision: str
    created_at: str
    rows: dict[str, int]
    files: int


def _backup_tables() -> list[Table]:
    """Every table of the models, parents before children, without the rebuildable ones."""
    return [t for t in db.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def _revision(connection: Connection) -> str | None:
    """The database's Alembic revision (heads joined by commas), None when never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    heads = connection.scalars(text("SELECT version_num FROM alembic_version")).all()
    return ",".join(sorted(heads)) or None


# --- values -----------------------------------------------------------------------------------


def _encode(column: Column, value: Any) -> Any:
    """A column value as JSON; datetimes with a time zone always in UTC with their offset."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        # SQLite hands back naive values for timezone columns; they were written in UTC.
        return as_utc(value).astimezone(UTC).isoformat() if kind.timezone else value.isoformat()
    if isinstance(kind, Date | Time):
        return value.isoformat()
    if isinstance(kind, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(column: Column, value: Any) -> Any:
    """The inverse of _encode. JSON values pass as they are (the JSON columns are NOT NULL)."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Time):
        return time.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, Numeric) and isinstance(value, str):
        return Decimal(value)
    return value


# --- create -----------------------------------------------------------------------------------


@contextmanager
def _snapshot(connection: Connection) -> Iterator[None]:
    """Read every table as of one moment, while the site keeps running."""
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ")
    with connection.begin():
        if connection.dialect.name == "sqlite":
            # pysqlite starts no transaction for reads; one read transaction is one snapshot.
            connection.exec_driver_sql("BEGIN")
        yield


def _zip_entry(name: str, moment: datetime, *, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


def _write_tables(
    archive: zipfile.ZipFile, moment: datetime
) -> tuple[str, dict[str, dict], list[str]]:
    """Write every table's rows; return the revision, the tables' manifest and stored names."""
    tables = _backup_tables()
    known = {t.name for t in db.metadata.sorted_tables} | {"alembic_version"} | UNMODELLED_TABLES
    manifest: dict[str, dict] = {}
    stored_names: list[str] = []
    with db.engine.connect() as connection, _snapshot(connection):
        unknown = sorted(set(inspect(connection).get_table_names()) - known)
        if unknown:
            raise BackupError(
                f"De database heeft tabellen die de code niet kent ({', '.join(unknown)}): "
                "die zouden ontbreken in de back-up. Gebruik de code die bij deze database hoort."
            )
        revision = _revision(connection)
        if revision is None:
            raise BackupError("De database is niet gemigreerd: voer eerst `flask db upgrade` uit.")
        for table in tables:
            digest, count = hashlib.sha256(), 0
            query = select(table).order_by(*table.primary_key.columns)
            entry = _zip_entry(f"tables/{table.name}.jsonl", moment, compress=True)
            with archive.open(entry, "w", force_zip64=True) as out:
                for row in connection.execute(query.execution_options(yield_per=1000)):
                    record = {
                        c.name: _encode(c, v) for c, v in zip(table.columns, row, strict=True)
                    }
                    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
                    digest.update(line)
                    out.write(line)
                    count += 1
                    if table is Attachment.__table__:
                        stored_names.append(record["stored_name"])
            manifest[table.name] = {
                "rows": count,
                "sha256": digest.hexdigest(),
                "columns": [c.name for c in table.columns],
            }
    return revision, manifest, stored_names


def _write_files(
    archive: zipfile.ZipFile, stored_names: list[str], moment: datetime
) -> tuple[dict[str, dict], list[str]]:
    store = file_store()
    files: dict[str, dict] = {}
    missing: list[str] = []
    for name in sorted(set(stored_names)):
        try:
            if not _STORED_NAME.fullmatch(name):
                raise FileNotFoundError(name)
            source = store.open(name)
        except FileNotFoundError:
            missing.append(name)
            continue
        except StorageError as error:
            raise BackupError(f"De bijlagen zijn niet te lezen ({error}).") from error
        digest, size = hashlib.sha256(), 0
        # Attachments are compressed formats already: stored, not deflated again.
        entry = _zip_entry(f"files/{name}", moment, compress=False)
        with source as src, archive.open(entry, "w", force_zip64=True) as out:
            while chunk := src.stream.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        files[name] = {"size": size, "sha256": digest.hexdigest()}
    return files, missing


@authorized_by(can_administer_site)
def create_backup(path: Path, *, actor: Actor) -> BackupReport:
    """Write every table and attachment file into a new zip file at path (never overwritten)."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} bestaat al; kies een nieuwe bestandsnaam.")
    partial = path.with_name(f".{path.name}.part")
    try:
        # Only the owner may read it: it holds password hashes and members-only content.
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as error:
        raise BackupError(
            f"{partial} bestaat al: loopt er nog een back-up? Verwijder het bestand anders."
        ) from error
    except OSError as error:
        raise BackupError(f"Kan {path} niet schrijven ({error.strerror}).") from error
    moment = utcnow()
    try:
        with (
            os.fdopen(handle, "wb") as raw,
            zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        ):
            revision, tables, stored_names = _write_tables(archive, moment)
            files, missing = _write_files(archive, stored_names, moment)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "alembic_revision": revision,
                "created_at": moment.isoformat(),
                "database": db.engine.dialect.name,
                "skipped_tables": sorted(SKIPPED_TABLES),
                "tables": tables,
                "files": files,
                "missing_files": missing,
            }
            archive.writestr(
                _zip_entry(MANIFEST, moment, compress=True),
                json.dumps(manifest, ensure_ascii=False, indent=2),
            )
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupReport(
        path=path,
        revision=revision,
        rows={name: entry["rows"] for name, entry in tables.items()},
        files=len(files),
        file_bytes=sum(entry["size"] for entry in files.values()),
        missing_files=missing,
    )


# --- read and check -----------------------------------------------------------------------------


def _foreign(path: Path, why: str) -> BackupError:
    return BackupError(f"{path} is geen bruikbare back-up van het MVI-kennisportaal ({why}).")


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError as error:
        raise _foreign(path, "manifest.json ontbreekt") from error
    except ValueError as error:
        raise _foreign(path, "manifest.json is geen geldige JSON") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _foreign(path, "onbekend formaat")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise _foreign(path, f"formaatversie {version}; deze code leest versie {FORMAT_VERSION}")
    if not all(isinstance(manifest.get(k), dict) for k in ("tables", "files")):
        raise _foreign(path, "manifest.json is onvolledig")
    return manifest


def _member_digest(archive: zipfile.ZipFile, name: str) -> tuple[str, int, int]:
    """sha256, size and line count of one member of the archive."""
    digest, size, lines = hashlib.sha256(), 0, 0
    with archive.open(name) as member:
        while chunk := member.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), size, lines


def _check_contents(archive: zipfile.ZipFile, manifest: dict, path: Path) -> None:
    """Every table and file in the archive matches the manifest, and fits this code's tables."""
    tables = {t.name: t for t in _backup_tables()}
    for name, entry in manifest["tables"].items():
        table = tables.get(name)
        if table is None:
            raise _foreign(path, f"tabel '{name}' is onbekend in deze versie van de code")
        if not isinstance(entry, dict) or entry.get("columns") != [c.name for c in table.columns]:
            raise _foreign(path, f"de kolommen van tabel '{name}' wijken af van deze code")
        digest, _size, lines = _member_digest(archive, f"tables/{name}.jsonl")
        if digest != entry.get("sha256") or lines != entry.get("rows"):
            raise _foreign(path, f"tables/{name}.jsonl is beschadigd (controlesom klopt niet)")
    for name, entry in manifest["files"].items():
        if not _STORED_NAME.fullmatch(name):
            raise _foreign(path, f"ongeldige bestandsnaam '{name[:80]}'")
        digest, size, _lines = _member_digest(archive, f"files/{name}")
        if not isinstance(entry, dict) or (digest, size) != (
            entry.get("sha256"),
            entry.get("size"),
        ):
            raise _foreign(path, f"files/{name} is beschadigd (controlesom klopt niet)")


@contextmanager
def _open_backup(path: Path) -> Iterator[tuple[zipfile.ZipFile, dict]]:
    """The archive and its manifest, after checking every member against the manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Het bestand {path} bestaat niet.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise _foreign(path, "geen leesbaar zip-bestand") from error
    with archive:
        try:
            manifest = _manifest(archive, path)
            _check_contents(archive, manifest, path)
        except KeyError as error:
            raise _foreign(path, f"{error.args[0]} ontbreekt in het archief") from error
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            raise _foreign(path, f"het archief is beschadigd: {error}") from error
        yield archive, manifest


@authorized_by(can_administer_site)
def check_backup(path: Path, *, actor: Actor) -> dict:
    """The manifest of a complete, undamaged backup file (raise BackupError otherwise)."""
    with _open_backup(path) as (_archive, manifest):
        return manifest


# --- restore ----------------------------------------------------------------------------------


def _ensure_empty(connection: Connection) -> None:
    for table in db.metadata.sorted_tables:
        count = connection.scalar(select(func.count()).select_from(table))
        if count:
            raise BackupError(
                f"De database is niet leeg (tabel {table.name} heeft {count} rijen). Zet een "
                "back-up alleen terug in een lege installatie: een nieuwe database met alleen "
                "`flask db upgrade`, zonder `flask seed`."
            )


def _sha256_stored(store: FileStore, name: str) -> str | None:
    """The stored file's sha256; None when it is not there."""
    digest = hashlib.sha256()
    try:
        with store.open(name) as source:
            while chunk := source.stream.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def _ensure_no_other_files(store: FileStore, files: dict[str, dict]) -> None:
    """The store is empty, or holds only files identical to the backup's."""
    for stored in store.files():
        entry = files.get(stored.name)
        if entry is None or _sha256_stored(store, stored.name) != entry["sha256"]:
            raise BackupError(
                f"De {store.location} is niet leeg ({stored.name}). Zet een back-up alleen terug in een "
                "lege installatie; verwijder de bestanden (bijvoorbeeld met "
                "`flask files check --fix --grace-minutes 0` op de lege database)."
            )


def _rows(archive: zipfile.ZipFile, table: Table) -> Iterator[list[dict]]:
    """The table's rows from the archive, decoded, in batches."""
    batch: list[dict] = []
    with archive.open(f"tables/{table.name}.jsonl") as member:
        for line in io.TextIOWrapper(member, encoding="utf-8"):
            record = json.loads(line)
            batch.append({c.name: _decode(c, record[c.name]) for c in table.columns})
            if len(batch) >= _BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """After inserting explicit ids, PostgreSQL's sequences must continue after the highest."""
    if connection.dialect.name != "postgresql":
        return  # SQLite takes the next rowid from the rows themselves
    table_name = connection.dialect.identifier_preparer.format_table
    for table in tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not isinstance(columns[0].type, Integer):
            continue
        column = columns[0]
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table_name(table), "column": column.name},
        )
        if sequence:
            highest = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
            connection.execute(select(func.setval(func.to_regclass(sequence), highest, False)))


def _restore_files(
    archive: zipfile.ZipFile, files: dict[str, dict], store: FileStore, written: list[str]
) -> None:
    for name, entry in files.items():
        if _sha256_stored(store, name) == entry["sha256"]:
            continue  # left by an earlier, interrupted restore
        written.append(name)
        with archive.open(f"files/{name}") as source:
            store.put(name, source)


@authorized_by(can_administer_site)
def restore_backup(path: Path, *, actor: Actor) -> RestoreReport:
    """Put a backup into this empty install, all rows in one transaction; files removed on failure.

    The search index is not rebuilt here: the caller runs the reindex after this returns.
    """
    store = file_store()
    written: list[str] = []
    with _open_backup(path) as (archive, manifest):
        tables = _backup_tables()
        try:
            with db.engine.connect() as connection, connection.begin():
                revision = _revision(connection)
                if revision != manifest.get("alembic_revision"):
                    raise BackupError(
                        f"De back-up hoort bij databaseversie {manifest.get('alembic_revision')}, "
                        f"deze database heeft versie {revision}. Zet hem terug met de code van "
                        "die versie (en `flask db upgrade` tot die versie), en werk daarna bij."
                    )
                _ensure_empty(connection)
                _ensure_no_other_files(store, manifest["files"])
                _restore_files(archive, manifest["files"], store, written)
                for table in tables:
                    if table.name in manifest["tables"]:
                        for batch in _rows(archive, table):
                            connection.execute(table.insert(), batch)
                _reset_sequences(connection, tables)
        except BaseException as error:
            for name in written:
                with suppress(StorageError):  # the store's own failure: leave it to `files check`
                    store.delete(name)
            if isinstance(error, StorageError):
                raise BackupError(
                    f"De bijlagen konden niet worden teruggezet ({error}); er is niets teruggezet."
                ) from error
            if isinstance(error, SQLAlchemyError):
                reason = str(getattr(error, "orig", None) or error).splitlines()[0][:300]
                raise BackupError(
                    f"De database weigerde de back-up ({reason}); er is niets teruggezet."
                ) from error
            if isinstance(error, KeyError | ValueError | TypeError):
                raise _foreign(path, f"onleesbare rij ({error}); er is niets teruggezet") from error
            raise
    return RestoreReport(
        revision=manifest["alembic_revision"],
        created_at=str(manifest.get("created_at", "")),
        rows={name: entry["rows"] for name, entry in manifest["tables"].items()},
        files=len(manifest["files"]),
    )
