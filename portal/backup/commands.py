"""Command line: `flask backup create/check/restore` and `flask files check [--fix]`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.backup.services import BackupError, check_backup, create_backup, restore_backup
from portal.common import CommandError
from portal.content.filecheck import check_files, remove_orphans
from portal.content.storage import file_store
from portal.permissions import SYSTEM
from portal.search.services import reindex

backup_cli = AppGroup("backup", help="Een back-up maken, controleren en terugzetten.")
files_cli = AppGroup("files", help="Bijlagebestanden in de opslag controleren.")


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}".replace(".", ",")
        n /= 1024
    return ""  # not reached


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path) -> None:
    """Write every table and every attachment file into one new zip file."""

    try:
        report = create_backup(path, actor=SYSTEM)
    except BackupError as error:
        raise CommandError(str(error)) from error
    click.echo(
        f"Back-up geschreven naar {report.path}: {sum(report.rows.values())} rijen uit "
        f"{len(report.rows)} tabellen, {report.files} bestanden ({_size(report.file_bytes)}), "
        f"databaseversie {report.revision}."
    )
    for name in report.missing_files:
        click.echo(
            f"Let op: het bestand {name} van een bijlage ontbreekt in de opslag en zit dus niet "
            "in de back-up (zie `flask files check`).",
            err=True,
        )


@backup_cli.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def check_command(path: Path) -> None:
    """Check that a backup file is complete and undamaged, without restoring it."""

    try:
        manifest = check_backup(path, actor=SYSTEM)
    except BackupError as error:
        raise CommandError(str(error)) from error
    rows = sum(entry["rows"] for entry in manifest["tables"].values())
    click.echo(
        f"Back-up in orde: gemaakt {manifest.get('created_at')} op {manifest.get('database')}, "
        f"databaseversie {manifest['alembic_revision']}, {rows} rijen uit "
        f"{len(manifest['tables'])} tabellen, {len(manifest['files'])} bestanden."
    )


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Put a backup into this empty install (migrated, no rows), then rebuild the search index."""

    try:
        report = restore_backup(path, actor=SYSTEM)
    except BackupError as error:
        raise CommandError(str(error)) from error
    click.echo(
        f"Back-up van {report.created_at} teruggezet: {sum(report.rows.values())} rijen in "
        f"{len(report.rows)} tabellen, {report.files} bestanden."
    )

    try:
        indexed = reindex()
    except Exception as error:
        raise CommandError(
            f"De zoekindex kon niet worden herbouwd ({error}); de gegevens zijn wel teruggezet. "
            "Voer `flask search reindex` uit."
        ) from error
    click.echo(f"Zoekindex herbouwd: {indexed} items.")


@files_cli.command("check")
@click.option("--fix", is_flag=True, help="Verweesde bestanden ouder dan de wachttijd verwijderen.")
@click.option(
    "--grace-minutes", type=click.IntRange(min=0), default=60, show_default=True,
    help="Wachttijd: jongere bestanden kunnen een upload zijn die nog bezig is.",
)  # fmt: skip
def files_check_command(fix: bool, grace_minutes: int) -> None:
    """List files without an attachment (orphans) and attachments without a file (missing)."""

    report = check_files()
    grace = timedelta(minutes=grace_minutes)
    if fix:
        remove_orphans(report, grace=grace)
    click.echo(
        f"Bijlagen in de {file_store().location}: {len(report.orphans)} verweesde bestanden (zonder bijlage), "
        f"{len(report.missing)} ontbrekende bestanden (bijlage zonder bestand)."
    )
    for orphan in report.orphans:
        if orphan in report.removed:
            state = "verwijderd"
        elif fix:
            state = f"niet verwijderd: jonger dan {grace_minutes} minuten (mogelijk een upload die nog bezig is)"
        else:
            state = "verwijder met --fix"
        click.echo(
            f"  verweesd: {orphan.name} ({_size(orphan.size)}, "
            f"gewijzigd {orphan.modified_at:%Y-%m-%d %H:%M} UTC) — {state}"
        )
    for missing in report.missing:
        click.echo(
            f"  ontbreekt: {missing.stored_name} van bijlage {missing.attachment_id} "
            f"'{missing.original_name}' (item {missing.item_id})"
        )
    if report.missing:
        click.echo(
            "Ontbrekende bestanden kan deze opdracht niet herstellen: zet ze terug uit een "
            "back-up, of verwijder de bijlage op de pagina van het item."
        )
    if not report.is_clean:
        raise SystemExit(1)
    if report.removed:
        click.echo(f"{len(report.removed)} verweesde bestanden verwijderd; alles in orde.")
