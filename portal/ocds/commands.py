"""`flask ocds import FILE [--organisation SLUG]`: OCDS releases as draft tenders."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.common import CommandError, ServiceError
from portal.extensions import db
from portal.ocds import services
from portal.organisations.models import Organisation
from portal.permissions import SYSTEM

ocds_cli = AppGroup("ocds", help="Aanbestedingen importeren uit OCDS (releases, release packages).")


@ocds_cli.command("import")
@click.argument("path", type=click.File("rb"))
@click.option(
    "--organisation",
    "organisation_slug",
    help="Slug van de organisatie voor releases waarvan de koper niet op naam te vinden is.",
)
def import_command(path, organisation_slug: str | None) -> None:
    """Import an OCDS release or release package; refused processes are listed, exit 1."""
    organisation = None
    if organisation_slug:
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.slug == organisation_slug)
        )
        if organisation is None:
            raise CommandError(f"Onbekende organisatie '{organisation_slug[:80]}'.")
    try:
        summary = services.import_ocds(path.read(), actor=SYSTEM, organisation=organisation)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        raise CommandError(error.message) from None
    for ocid, title, slug in summary.created:
        click.echo(f"aangemaakt: {ocid} {title} (/{slug})")
    for ocid, title, slug in summary.updated:
        click.echo(f"bijgewerkt: {ocid} {title} (/{slug})")
    for ocid, title, _slug in summary.unchanged:
        click.echo(f"ongewijzigd: {ocid} {title}")
    for name, reason, _status in summary.refused:
        click.echo(f"geweigerd: {name}: {reason}", err=True)
    click.echo(f"OCDS-import klaar: {summary.line()}.")
    if summary.refused:
        raise SystemExit(1)
