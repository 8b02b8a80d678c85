"""Command line: `flask seed`, `flask users ...`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.backup.commands import backup_cli, files_cli
from portal.common import ServiceError
from portal.extensions import db
from portal.permissions import SYSTEM

users_cli = AppGroup("users", help="Accounts beheren.")
search_cli = AppGroup("search", help="De zoekindex herbouwen en controleren.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from the database, with a progress bar and a summary."""
    import time

    from sqlalchemy import func, select

    from portal.content.models import Item
    from portal.search.services import reindex

    total = db.session.scalar(select(func.count(Item.id)))
    started = time.perf_counter()
    with click.progressbar(length=total, label="Indexeren") as bar:
        indexed = reindex(progress=bar.update)
    seconds = time.perf_counter() - started
    click.echo(
        f"Zoekindex herbouwd: {indexed} items in {seconds:.1f} s ({indexed / max(seconds, 0.001):.0f} items/s)."
    )


@search_cli.command("check")
def check_command() -> None:
    """Report items missing from the index and index entries without an item."""
    from portal.search.services import check

    try:
        report = check()
    except Exception as error:
        raise click.ClickException(
            f"Zoekindex niet leesbaar ({error}); voer `flask search reindex` uit."
        ) from error
    click.echo(
        f"Ontbrekend in de index: {len(report.missing)}; verouderd in de index: {len(report.stale)}."
    )
    if report.missing or report.stale:
        click.echo(f"  ontbrekend: {report.missing[:20]}  verouderd: {report.stale[:20]}")
        raise SystemExit(1)


@search_cli.command("alerts")
def alerts_command() -> None:
    """Mail members the new matches of their saved searches (safe to run twice)."""
    import time

    from portal.search.saved import send_alerts

    started = time.perf_counter()
    mails, searches = send_alerts()
    db.session.commit()
    click.echo(
        f"Zoekmeldingen: {mails} mails voor {searches} bewaarde zoekopdrachten in {time.perf_counter() - started:.1f} s."
    )


notify_cli = AppGroup("notify", help="Meldingen per e-mail versturen.")


@notify_cli.command("digest")
@click.option(
    "--period", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True,
    help="Voor leden die een dagelijks of wekelijks overzicht kozen.",
)  # fmt: skip
def digest_command(period: str) -> None:
    """Mail each member one overview of their unsent notices (safe to run twice)."""
    import time

    from portal.notifications.digest import send_digests

    started = time.perf_counter()
    mails, notices = send_digests(period)
    db.session.commit()
    click.echo(
        f"Overzichten ({period}): {mails} mails met {notices} meldingen in {time.perf_counter() - started:.2f} s."
    )


content_cli = AppGroup("content", help="Kennisitems importeren en exporteren (JSON Lines).")


@content_cli.command("import")
@click.argument("path", type=click.File("r", encoding="utf-8"))
@click.option("--create-organisations", is_flag=True, help="Onbekende organisaties aanmaken.")
def import_command(path, create_organisations: bool) -> None:
    """Import knowledge items from a JSON Lines file; bad lines are reported, good ones kept."""
    from portal.content.importer import import_items

    report = import_items(path, create_organisations=create_organisations)
    db.session.commit()
    for number, reason in report.errors:
        click.echo(f"regel {number}: {reason}", err=True)
    click.echo(f"Import klaar: {report.summary()}.")


@content_cli.command("export")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def export_command(output) -> None:
    """Write every knowledge item as JSON Lines (the import format)."""
    from portal.content.importer import export_items

    for line in export_items():
        output.write(line + "\n")


@click.command("seed")
@click.option("--with-demo-users", is_flag=True, help="Ook demo-accounts (nooit in productie).")
def seed_command(with_demo_users: bool) -> None:
    """Load taxonomies, regions, organisations and working groups (idempotent)."""
    from portal.seeding import demo_logins, seed

    if with_demo_users and current_app.config["ENV_NAME"] == "production":
        raise click.UsageError("Demo-accounts worden nooit in productie aangemaakt.")
    password = current_app.config["DEMO_PASSWORD"] if with_demo_users else None
    loader = seed(demo_password=password)
    db.session.commit()
    created, updated = sum(loader.created.values()), sum(loader.updated.values())
    click.echo(f"Seed klaar: {created} rijen aangemaakt, {updated} gewijzigd.")
    for table, n in sorted(loader.created.items()):
        click.echo(f"  + {n:4d} {table}")
    for table, n in sorted(loader.updated.items()):
        click.echo(f"  ~ {n:4d} {table}")
    if loader.knowledge_report is not None:
        click.echo(
            f"Kennisitems: {loader.knowledge_report.summary()}; "
            f"{loader.attachments_added} demobijlagen toegevoegd."
        )
        for number, reason in loader.knowledge_report.errors:
            click.echo(f"  knowledge.jsonl regel {number}: {reason}", err=True)
    if loader.events_report is not None:
        click.echo(
            f"Bijeenkomsten: {loader.events_report.summary()}; "
            f"{loader.registrations_added} demo-aanmeldingen."
        )
        for number, reason in loader.events_report.errors:
            click.echo(f"  events.yaml bijeenkomst {number}: {reason}", err=True)
    if loader.community_added:
        click.echo(f"Community: {loader.community_added} demovragen met antwoorden toegevoegd.")
    if with_demo_users:
        click.echo("\nDemo-logins (wachtwoord voor allemaal: " + password + "):")
        for role, email, name in demo_logins():
            click.echo(f"  {role:28s} {email:40s} {name}")
        click.echo("\nOpen http://127.0.0.1:5000 in uw browser.\n")


@users_cli.command("set-role")
@click.argument("email")
@click.option("--site-admin/--no-site-admin", default=False)
@click.option("--moderator/--no-moderator", default=False)
@click.option(
    "--expert/--no-expert", default=None, help="Aangewezen expert: mag antwoorden verifiëren."
)
def set_role_command(email: str, site_admin: bool, moderator: bool, expert: bool | None) -> None:
    """Make an account site administrator, moderator and/or designated expert (or take it away)."""
    from portal.accounts import services

    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"Geen account met e-mailadres {email}.")
    services.set_site_roles(
        user, is_moderator=moderator, is_site_admin=site_admin, is_expert=expert, actor=SYSTEM
    )
    db.session.commit()
    click.echo(f"{user.email}: beheerder={site_admin}, moderator={moderator}")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.password_option()
def create_user_command(email: str, name: str, password: str) -> None:
    """Create a verified account (for example the first site administrator)."""
    from portal.accounts import services

    try:
        services.create_verified_user(email, password, name, actor=SYSTEM)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    click.echo(f"Account {email} aangemaakt.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(files_cli)
