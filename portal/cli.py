"""Command line: `flask seed`, `flask users ...`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.accounts import services as accounts
from portal.backup.commands import backup_cli, files_cli
from portal.common import CommandError, ServiceError
from portal.content.importer import export_items, import_items
from portal.content.models import Item
from portal.extensions import db
from portal.notifications.digest import send_digests
from portal.ocds.commands import ocds_cli
from portal.ops.schedule import run_due_jobs
from portal.outbox.delivery import deliver_due, work_once
from portal.outbox.models import OutboxMessage
from portal.outbox.queries import last_error, waiting
from portal.permissions import SYSTEM
from portal.search import services as search_index
from portal.search import spelling
from portal.search.saved import send_alerts
from portal.search.services import reindex
from portal.search.whoosh_engine import RebuildRunningError
from portal.seeding import demo_logins, seed

users_cli = AppGroup("users", help="Accounts beheren.")
search_cli = AppGroup("search", help="De zoekindex herbouwen en controleren.")


@search_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from the database, with a progress bar and a summary."""
    import time

    from sqlalchemy import func, select

    total = db.session.scalar(select(func.count(Item.id)))
    started = time.perf_counter()
    try:
        with click.progressbar(length=total, label="Indexeren") as bar:
            indexed = reindex(progress=bar.update)
    except RebuildRunningError as error:
        raise CommandError("De zoekindex wordt al herbouwd door een ander proces.") from error
    seconds = time.perf_counter() - started
    spelling.refresh(force=True)  # the words "Bedoelde u …?" offers, from the same texts
    click.echo(
        f"Zoekindex herbouwd: {indexed} items in {seconds:.1f} s ({indexed / max(seconds, 0.001):.0f} items/s)."
    )


@search_cli.command("check")
@click.option("--fix", is_flag=True, help="Herstel wat ontbreekt, verouderd of overbodig is.")
def check_command(fix: bool) -> None:
    """Compare the index with the database item by item; exit 1 when they differ."""

    try:
        report = search_index.check()
    except search_index.IndexUnavailableError as error:
        if not fix:
            raise CommandError(
                f"Zoekindex ontbreekt of is onleesbaar ({error}); voer `flask search reindex` of "
                "`flask search check --fix` uit."
            ) from error
        click.echo(f"Zoekindex ontbreekt of is onleesbaar ({error}): herbouwen.")
        search_index.reindex()
        report = search_index.check()
    click.echo(
        f"Ontbrekend in de index: {len(report.missing)}; verouderd: {len(report.stale)}; "
        f"zonder item: {len(report.extra)}."
    )
    if report.ok:
        return
    click.echo(
        f"  ontbrekend: {report.missing[:20]}  verouderd: {report.stale[:20]}  "
        f"zonder item: {report.extra[:20]}"
    )
    if not fix:
        raise SystemExit(1)
    search_index.fix(report)
    after = search_index.check()
    if not after.ok:
        raise CommandError("Herstel onvolledig; voer `flask search reindex` uit.")
    click.echo("Hersteld.")


@search_cli.command("alerts")
def alerts_command() -> None:
    """Mail members the new matches of their saved searches (safe to run twice)."""
    import time

    started = time.perf_counter()
    deliver_due()  # mails an earlier run could not hand over get their next try first
    first = _last_outbox_id()
    mails, searches = send_alerts()
    db.session.commit()  # the mails are delivered right after this commit
    click.echo(
        f"Zoekmeldingen: {mails} mails voor {searches} bewaarde zoekopdrachten in {time.perf_counter() - started:.1f} s."
    )
    _fail_on_undelivered_mail(first)


notify_cli = AppGroup("notify", help="Meldingen per e-mail versturen.")


@notify_cli.command("digest")
@click.option(
    "--period", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True,
    help="Voor leden die een dagelijks of wekelijks overzicht kozen.",
)  # fmt: skip
def digest_command(period: str) -> None:
    """Mail each member one overview of their unsent notices (safe to run twice)."""
    import time

    started = time.perf_counter()
    deliver_due()  # mails an earlier run could not hand over get their next try first
    first = _last_outbox_id()
    mails, notices = send_digests(period)
    db.session.commit()  # the mails are delivered right after this commit
    click.echo(
        f"Overzichten ({period}): {mails} mails met {notices} meldingen in {time.perf_counter() - started:.2f} s."
    )
    _fail_on_undelivered_mail(first)


def _last_outbox_id() -> int:
    from sqlalchemy import func, select

    return db.session.scalar(select(func.max(OutboxMessage.id))) or 0


def _fail_on_undelivered_mail(after_id: int) -> None:
    """Exit non-zero when mails this command made, or earlier ones, wait for the mail server."""
    from sqlalchemy import func, or_, select

    db.session.rollback()
    # This run's mails, and earlier ones the server refused: a second run must not hide them.
    waiting = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.topic == "mail",
            OutboxMessage.delivered_at.is_(None),
            or_(OutboxMessage.id > after_id, OutboxMessage.last_error != ""),
        )
    )
    if waiting:
        raise CommandError(
            f"{waiting} mail(s) niet door de mailserver aangenomen; ze blijven in de wachtrij en "
            "worden opnieuw geprobeerd (`flask outbox work`, of de achtergrondbezorging)."
        )


outbox_cli = AppGroup("outbox", help="Uitgaande neveneffecten (zoekindex, e-mail) bezorgen.")


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Eén ronde en stoppen (voor cron of een test).")
@click.option("--interval", default=2.0, show_default=True, help="Seconden tussen rondes.")
@click.option(
    "--schedule/--no-schedule", default=True, show_default=True,
    help="Ook de planning draaien (overzichten, zoekmeldingen, bestandscontrole, opruimen).",
)  # fmt: skip
def outbox_work_command(once: bool, interval: float, schedule: bool) -> None:
    """Deliver what is due and retry failures with back-off, and run the schedule's jobs when
    their time has come, until stopped (the worker process)."""
    import signal
    import time

    from flask import current_app

    app = current_app._get_current_object()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    click.echo(f"Outbox-worker gestart (pid {__import__('os').getpid()}).")
    while True:
        outcome = work_once(app)
        if outcome.delivered or outcome.failed:
            click.echo(f"Bezorgd: {outcome.delivered}; mislukt (later opnieuw): {outcome.failed}.")
        if schedule:
            for line in run_due_jobs():
                click.echo(f"Gepland: {line}.")
        if once or stopping:
            break
        time.sleep(interval)
    if once and outcome.failed:
        raise SystemExit(1)


@outbox_cli.command("status")
def outbox_status_command() -> None:
    """Show what waits in the outbox, per topic, with the oldest and the last error."""
    rows = waiting()
    if not rows:
        click.echo("De outbox is leeg: alles is bezorgd.")
        return
    for row in rows:
        click.echo(
            f"{row.topic}: {row.count} wachtend, oudste van {row.oldest:%Y-%m-%d %H:%M}, "
            f"hoogstens {row.attempts} poging(en)"
        )
    if error := last_error():
        click.echo(f"Laatste fout: {error}")
    raise SystemExit(1)


content_cli = AppGroup("content", help="Kennisitems importeren en exporteren (JSON Lines).")


@content_cli.command("import")
@click.argument("path", type=click.File("r", encoding="utf-8"))
@click.option("--create-organisations", is_flag=True, help="Onbekende organisaties aanmaken.")
def import_command(path, create_organisations: bool) -> None:
    """Import knowledge items from a JSON Lines file; bad lines are reported, good ones kept."""

    report = import_items(path, create_organisations=create_organisations)
    db.session.commit()
    for number, reason in report.errors:
        click.echo(f"regel {number}: {reason}", err=True)
    click.echo(f"Import klaar: {report.summary()}.")
    if report.errors:
        raise SystemExit(1)  # the good lines are kept; a script still learns that some failed


@content_cli.command("export")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def export_command(output) -> None:
    """Write every knowledge item as JSON Lines (the import format)."""

    for line in export_items():
        output.write(line + "\n")


@click.command("seed")
@click.option("--with-demo-users", is_flag=True, help="Ook demo-accounts (nooit in productie).")
def seed_command(with_demo_users: bool) -> None:
    """Load taxonomies, regions, organisations and working groups (idempotent)."""

    if with_demo_users and current_app.config["ENV_NAME"] == "production":
        raise click.UsageError("Demo-accounts worden nooit in productie aangemaakt.")
    password = current_app.config["DEMO_PASSWORD"] if with_demo_users else None
    loader = seed(demo_password=password)
    db.session.commit()
    spelling.refresh(force=True)  # hints from the first search on, not only after the worker's
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
    if loader.monitor_added:
        click.echo(
            f"Monitor: {loader.monitor_added} demoregistraties (verzonnen cijfers) toegevoegd."
        )
    if loader.planned_added:
        click.echo(
            f"Inkoopkalender: {loader.planned_added} geplande demo-aanbestedingen toegevoegd."
        )
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

    user = accounts.find_user_by_email(email)
    if user is None:
        raise CommandError(f"Geen account met e-mailadres {email}.")
    accounts.set_site_roles(
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

    try:
        accounts.create_verified_user(email, password, name, actor=SYSTEM)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        raise CommandError(error.message) from error
    click.echo(f"Account {email} aangemaakt.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(ocds_cli)
