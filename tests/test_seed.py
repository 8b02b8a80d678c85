"""Demo data: realistic, complete, idempotent, and never demo users in production."""

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.content.models import Attachment, Item, Revision
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.organisations.models import Organisation, organisation_regions
from portal.seeding import seed
from portal.taxonomy.models import OrganisationType, SizeClass


def test_seed_is_complete_and_idempotent(app):
    first = seed(demo_password="demo-MVI-2026")
    db.session.commit()
    assert sum(first.created.values()) > 200

    assert db.session.scalar(select(func.count(Organisation.id))) >= 30
    types = db.session.scalars(select(OrganisationType)).all()
    for org_type in types:
        assert (
            db.session.scalar(
                select(func.count(Organisation.id)).where(Organisation.type_id == org_type.id)
            )
            > 0
        ), org_type.name
    for size in db.session.scalars(select(SizeClass)).all():
        assert (
            db.session.scalar(
                select(func.count(Organisation.id)).where(Organisation.size_class_id == size.id)
            )
            > 0
        ), size.name
    regions_used = db.session.scalar(
        select(func.count(func.distinct(organisation_regions.c.region_id)))
    )
    assert regions_used >= 6
    groups = db.session.scalars(select(WorkingGroup)).all()
    assert len(groups) >= 3 and any(g.is_closed for g in groups)
    users = db.session.scalars(select(User)).all()
    assert any(u.is_site_admin for u in users) and any(u.is_moderator for u in users)
    roles = {m.role for u in users for m in u.memberships if m.is_approved}
    assert roles == {"member", "editor", "admin"}

    report = first.knowledge_report
    assert report.errors == [] and report.created >= 80 and report.links >= 60
    kinds = dict(
        db.session.execute(select(Item.kind, func.count(Item.id)).group_by(Item.kind)).all()
    )
    knowledge_kinds = [kinds[k] for k in ("tender", "criterion", "consultation", "lesson")]
    assert kinds["tender"] >= 25 and min(knowledge_kinds) >= 10
    # The community: questions from small municipalities with answers, some accepted or verified.
    from portal.notifications.models import Follow
    from portal.questions.models import Answer

    assert first.community_added >= 8 and kinds["question"] == first.community_added
    answers = db.session.scalars(select(Answer)).all()
    assert len(answers) >= 10
    assert any(a.accepted_at for a in answers) and any(a.verified_at for a in answers)
    assert db.session.scalar(select(func.count(Follow.id))) >= 10
    assert first.attachments_added >= 4
    assert db.session.scalar(select(func.count(Attachment.id))) == first.attachments_added
    assert db.session.scalar(select(func.count(Item.id)).where(Item.visibility == "members")) > 0
    # Events: past ones with a report, upcoming ones with sign-ups and one full with a waiting list.
    from portal.events.models import Event, EventRegistration

    assert first.events_report.errors == [] and first.events_report.created == kinds["event"] >= 6
    demo_events = db.session.scalars(select(Event)).all()
    assert all(e.report_md for e in demo_events if e.has_ended)
    statuses = {r.status for e in demo_events if not e.has_started for r in e.registrations}
    full = next(e for e in demo_events if e.external_id == "demo-event-005")
    if not full.has_started:
        assert statuses == {"registered", "waitlist"}
        assert sum(r.status == "registered" for r in full.registrations) == full.capacity
    registrations = db.session.scalar(select(func.count(EventRegistration.id)))
    assert registrations == first.registrations_added

    # Demo monitor records: every organisation, 2019-2026, dozens for a small municipality and a
    # few hundred for a large one, with MVI shares like the sources' (61 %, social return 41 %).
    from portal.monitor.models import MonitorRecord, MonitorRecordMvi

    records = db.session.scalar(select(func.count(MonitorRecord.id)))
    assert records == first.monitor_added > 5000
    assert db.session.scalar(select(func.count(MonitorRecord.id)).where(~MonitorRecord.demo)) == 0
    per_org = dict(
        db.session.execute(
            select(Organisation.slug, func.count(MonitorRecord.id))
            .join(MonitorRecord, MonitorRecord.organisation_id == Organisation.id)
            .group_by(Organisation.slug)
        ).all()
    )
    assert len(per_org) == db.session.scalar(select(func.count(Organisation.id)))
    assert 24 <= per_org["gemeente-heumen"] < 100 and per_org["gemeente-utrecht"] >= 200
    years = db.session.execute(select(func.min(MonitorRecord.year), func.max(MonitorRecord.year)))
    assert tuple(years.one()) == (2019, 2026)
    with_mvi = db.session.scalar(
        select(func.count(MonitorRecord.id)).where(MonitorRecord.mvi_applied)
    )
    social = db.session.scalar(
        select(func.count(func.distinct(MonitorRecordMvi.record_id))).where(
            MonitorRecordMvi.theme.has(slug="social-return")
        )
    )
    assert 55 <= round(100 * with_mvi / records) <= 67 and 35 <= round(100 * social / records) <= 47
    mvi_ids = select(MonitorRecordMvi.record_id)
    assert (
        db.session.scalar(
            select(func.count(MonitorRecord.id)).where(
                MonitorRecord.mvi_applied, MonitorRecord.id.not_in(mvi_ids)
            )
        )
        == 0
    )

    # The demo tender calendar: 30+ planned tenders, marked as demo, and small municipalities of
    # one region (Vaals and Beek, Zuid-Limburg) that plan the same things: "Ook van plan".
    from flask_login import AnonymousUserMixin

    from portal.planning.models import PlannedTender
    from portal.planning.queries import overlaps

    planned = db.session.scalars(select(PlannedTender)).all()
    assert len(planned) == first.planned_added >= 30 and all(p.demo for p in planned)
    vaals = next(p for p in planned if p.reference == "VA-2027-01")
    found = overlaps(vaals, AnonymousUserMixin())
    assert (found[0].planned.organisation.slug, found[0].same_group) == ("gemeente-beek", True)

    revisions = db.session.scalar(select(func.count(Revision.id)))
    second = seed(demo_password="demo-MVI-2026")
    db.session.commit()
    assert sum(second.created.values()) == 0
    assert sum(second.updated.values()) == 0
    assert second.knowledge_report.unchanged == report.created
    assert second.knowledge_report.created == second.knowledge_report.updated == 0
    assert second.attachments_added == 0
    assert second.community_added == 0
    assert second.events_report.unchanged == first.events_report.created
    assert second.registrations_added == 0
    assert second.monitor_added == 0 and second.planned_added == 0
    assert db.session.scalar(select(func.count(MonitorRecord.id))) == records
    assert db.session.scalar(select(func.count(EventRegistration.id))) == registrations
    assert len(db.session.scalars(select(Answer)).all()) == len(answers)
    assert db.session.scalar(select(func.count(Revision.id))) == revisions


def test_seed_command_refuses_demo_users_in_production(app):
    app.config["ENV_NAME"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["seed", "--with-demo-users"])
    finally:
        app.config["ENV_NAME"] = "development"
    assert result.exit_code != 0
    assert "nooit in productie" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_seed_command_prints_demo_logins(app):
    result = app.test_cli_runner().invoke(args=["seed", "--with-demo-users"])
    assert result.exit_code == 0, result.output
    assert "beheer@mvi-portaal.example" in result.output and "demo-MVI-2026" in result.output
    assert "demoregistraties (verzonnen cijfers)" in result.output
