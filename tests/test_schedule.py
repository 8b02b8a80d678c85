"""The schedule the outbox worker runs (no cron): each job once per period at or after its time
(Dutch local time), never twice across workers or servers, a failing job logged while the others
run, and the worker command running it between its rounds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.notifications.models import Notification
from portal.ops import schedule
from portal.ops.models import ScheduledRun

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 12, 7, tzinfo=AMSTERDAM)  # a Monday


def at(day: datetime, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return day.replace(hour=hour, minute=minute)


@pytest.fixture(autouse=True)
def _forget_claims():
    schedule._DONE.clear()  # what this process saw claimed belongs to the previous test's data
    yield
    schedule._DONE.clear()


def names(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines]


def test_each_job_runs_once_per_period_at_or_after_its_time(world):
    assert names(schedule.run_due_jobs(at(MONDAY, "02:59"))) == []
    assert names(schedule.run_due_jobs(at(MONDAY, "03:00"))) == [
        "attachment-files", "outbox-purge", "search-events-fold",
    ]  # fmt: skip
    assert names(schedule.run_due_jobs(at(MONDAY, "06:45"))) == ["saved-search-alerts"]
    assert names(schedule.run_due_jobs(at(MONDAY, "09:10"))) == ["digest-daily", "digest-weekly"]
    assert schedule.run_due_jobs(at(MONDAY, "23:00")) == []  # all done today
    tuesday = MONDAY.replace(day=8)
    assert names(schedule.run_due_jobs(at(tuesday, "08:00"))) == [
        "digest-daily",
        "saved-search-alerts",
        "attachment-files",
        "outbox-purge",
        "search-events-fold",
    ]  # fmt: skip  (the weekly digest waits for next Monday)
    runs = db.session.scalars(select(ScheduledRun).order_by(ScheduledRun.id)).all()
    assert len(runs) == 11 and all(run.finished_at and run.outcome for run in runs)
    assert {r.period for r in runs if r.job == "digest-weekly"} == {"2026-W50"}


def test_the_daily_digest_is_mailed_by_the_schedule(world, mailbox):
    world.utrecht_member.notify_email = "daily"
    db.session.add(Notification(user_id=world.utrecht_member.id, key="answer:1", url="/vragen/",
                                message="Er is een antwoord op uw vraag."))  # fmt: skip
    db.session.commit()
    schedule.run_due_jobs(at(MONDAY, "07:05"))
    digests = [m for m in mailbox.messages() if "To: lid@utrecht.nl" in m]
    assert len(digests) == 1 and "Er is een antwoord op uw vraag." in digests[0]
    schedule._DONE.clear()  # another worker process, later that day
    schedule.run_due_jobs(at(MONDAY, "11:00"))
    assert len([m for m in mailbox.messages() if "To: lid@utrecht.nl" in m]) == 1


def test_a_period_another_server_claimed_is_not_run_again(world):
    db.session.add(ScheduledRun(job="digest-daily", period="2026-12-07", runner="server-b:17"))
    db.session.commit()
    assert "digest-daily" not in names(schedule.run_due_jobs(at(MONDAY, "07:30")))
    # Two servers claiming at the same moment: the database lets only one row in.
    db.session.add(ScheduledRun(job="saved-search-alerts", period="2026-12-08", runner="b"))
    db.session.add(ScheduledRun(job="saved-search-alerts", period="2026-12-08", runner="c"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_failing_job_is_logged_and_the_others_still_run(world, monkeypatch, caplog):
    def broken() -> tuple[int, int]:
        raise RuntimeError("zoekindex weg")

    monkeypatch.setattr(schedule, "send_alerts", broken)
    ran = schedule.run_due_jobs(at(MONDAY, "07:30"))
    assert "saved-search-alerts 2026-12-07: mislukt: RuntimeError: zoekindex weg" in ran
    assert "digest-daily" in names(ran) and "outbox-purge" in names(ran)
    assert "Geplande taak saved-search-alerts (2026-12-07) mislukt" in caplog.text


def test_the_worker_command_runs_the_schedule_between_rounds(app, world):
    app.config.update(SCHEDULE_DIGEST_AT="00:00", SCHEDULE_ALERTS_AT="00:00",
                      SCHEDULE_HOUSEKEEPING_AT="00:00")  # fmt: skip
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
        assert result.exit_code == 0, result.output
        assert "Gepland: digest-daily" in result.output
        off = app.test_cli_runner().invoke(args=["outbox", "work", "--once", "--no-schedule"])
        assert "Gepland" not in off.output
    finally:
        app.config.update(SCHEDULE_DIGEST_AT="07:00", SCHEDULE_ALERTS_AT="06:30",
                          SCHEDULE_HOUSEKEEPING_AT="03:00")  # fmt: skip
