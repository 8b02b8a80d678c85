"""The schedule the outbox worker runs between its rounds (no cron needed): digests daily and
weekly, saved-search alerts, the attachment-file check and the outbox clean-up. Each job runs once
per period (a day, a week) at or after its time: the first worker to claim the period in
`scheduled_runs` runs it, any other worker or server skips it (the unique job + period)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.common import as_utc, utcnow
from portal.content.filecheck import check_files
from portal.extensions import db
from portal.notifications.digest import send_digests
from portal.ops.models import ScheduledRun
from portal.outbox.delivery import purge_delivered
from portal.search.insights import RAW_EVENT_DAYS, fold_old_events
from portal.search.saved import send_alerts

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Europe/Amsterdam")  # "07:00" means seven in the morning for Dutch buyers

Period = Callable[[datetime], str | None]  # local now -> the period now due, or None


def daily_at(at: time) -> Period:
    return lambda now: now.date().isoformat() if now.time() >= at else None


def weekly_at(weekday: int, at: time) -> Period:
    """weekday: 0 is Monday."""

    def due(now: datetime) -> str | None:
        year, week, day = now.isocalendar()
        passed = day - 1 > weekday or (day - 1 == weekday and now.time() >= at)
        return f"{year}-W{week:02d}" if passed else None

    return due


@dataclass(frozen=True)
class Job:
    name: str
    when: Period
    run: Callable[[], str]  # does the work (the caller commits); returns a line for the log


def _digest(frequency: str) -> Callable[[], str]:
    def run() -> str:
        mails, notices = send_digests(frequency)
        return f"{mails} overzichten met {notices} meldingen"

    return run


def _alerts() -> str:
    mails, searches = send_alerts()
    return f"{mails} zoekmeldingen voor {searches} bewaarde zoekopdrachten"


def _files() -> str:
    report = check_files()
    if report.missing:
        log.error("Bijlagen zonder bestand: %s", ", ".join(m.stored_name for m in report.missing))
    return f"{len(report.orphans)} bestanden zonder rij, {len(report.missing)} rijen zonder bestand"


def _purge() -> str:
    keep = timedelta(days=current_app.config["OUTBOX_KEEP_DAYS"])
    return f"{purge_delivered(keep)} bezorgde outbox-rijen opgeruimd"


def _fold_search_events() -> str:
    return f"{fold_old_events()} zoekgebeurtenissen ouder dan {RAW_EVENT_DAYS} dagen samengevat"


def jobs() -> tuple[Job, ...]:
    config = current_app.config
    at = {key: time.fromisoformat(config[key]) for key in
          ("SCHEDULE_DIGEST_AT", "SCHEDULE_ALERTS_AT", "SCHEDULE_HOUSEKEEPING_AT")}  # fmt: skip
    return (
        Job("digest-daily", daily_at(at["SCHEDULE_DIGEST_AT"]), _digest("daily")),
        Job("digest-weekly", weekly_at(0, at["SCHEDULE_DIGEST_AT"]), _digest("weekly")),
        Job("saved-search-alerts", daily_at(at["SCHEDULE_ALERTS_AT"]), _alerts),
        Job("attachment-files", daily_at(at["SCHEDULE_HOUSEKEEPING_AT"]), _files),
        Job("outbox-purge", daily_at(at["SCHEDULE_HOUSEKEEPING_AT"]), _purge),
        Job("search-events-fold", daily_at(at["SCHEDULE_HOUSEKEEPING_AT"]), _fold_search_events),
    )


_DONE: set[tuple[str, str]] = set()  # (job, period) this process saw claimed: not asked again


def _claim(job: Job, period: str) -> ScheduledRun | None:
    """Take this job's period, or None when a worker (this one or another) already has it."""
    if (job.name, period) in _DONE:
        return None
    _DONE.add((job.name, period))
    taken = select(ScheduledRun.id).where(
        ScheduledRun.job == job.name, ScheduledRun.period == period
    )
    if db.session.scalar(taken) is not None:
        return None
    run = ScheduledRun(job=job.name, period=period, runner=f"{socket.gethostname()}:{os.getpid()}")
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run


def run_due_jobs(now: datetime | None = None) -> list[str]:
    """Run every job whose period has come and that no worker has claimed; return what ran."""
    if not current_app.config["SCHEDULE_ENABLED"]:
        return []
    local = as_utc(now or utcnow()).astimezone(LOCAL)
    ran = []
    for job in jobs():
        period = job.when(local)
        if period is None or (run := _claim(job, period)) is None:
            continue
        try:
            outcome = job.run()
            db.session.commit()  # its mails are handed to the outbox with this commit
        except Exception as error:  # logged and kept; the next period runs again
            db.session.rollback()
            log.exception("Geplande taak %s (%s) mislukt", job.name, period)
            outcome = f"mislukt: {type(error).__name__}: {error}"
        run.outcome = outcome[:2000]
        run.finished_at = utcnow()
        db.session.commit()
        log.info("Geplande taak %s (%s): %s", job.name, period, outcome)
        ran.append(f"{job.name} {period}: {outcome}")
    return ran
