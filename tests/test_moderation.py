"""Reports on answers, the moderators' queue and audit log, member profiles: allowed and denied."""

from sqlalchemy import func, select

from portal.content.models import Report
from portal.extensions import db
from portal.moderation.models import ModerationLog
from portal.questions import services as qa
from portal.questions.models import Answer


def answered(world):
    question = qa.ask_question(qa.QuestionData(title="Hoe meet ik MVI-resultaten?", body="."),
                               actor=world.heumen_admin)  # fmt: skip
    answer = qa.answer_question(question, "Gewoon gokken.", actor=world.utrecht_member)
    db.session.commit()
    return question, answer


def test_members_report_an_answer_with_a_reason(client, world, as_user):
    _question, answer = answered(world)
    assert client.get(f"/antwoorden/{answer.id}/melden").status_code == 302  # to the login
    as_user(world.utrecht_editor)
    empty = client.post(f"/antwoorden/{answer.id}/melden", data={"reason": "  "})
    assert empty.status_code == 400
    assert db.session.scalar(select(func.count(Report.id))) == 0
    assert (
        client.post(
            f"/antwoorden/{answer.id}/melden", data={"reason": "Onjuist advies"}
        ).status_code
        == 302
    )
    report = db.session.scalar(select(Report))
    assert (report.answer_id, report.item_id, report.reason) == (
        answer.id,
        answer.question_id,
        "Onjuist advies",
    )
    assert client.get("/antwoorden/999999/melden").status_code == 404


def test_only_moderators_work_the_queue_and_every_decision_is_logged(client, world, as_user):
    _question, answer = answered(world)
    as_user(world.utrecht_editor)
    client.post(f"/antwoorden/{answer.id}/melden", data={"reason": "Onjuist advies"})
    report = db.session.scalar(select(Report))
    assert client.get("/moderatie").status_code == 403
    assert client.get("/moderatie/logboek").status_code == 403
    assert client.post(f"/moderatie/meldingen/{report.id}/hide").status_code == 403
    assert db.session.get(Answer, answer.id).hidden_at is None
    client.post("/uitloggen")
    as_user(world.moderator)
    queue = client.get("/moderatie").get_data(as_text=True)
    assert "Onjuist advies" in queue and "Gewoon gokken." in queue
    assert client.post(f"/moderatie/meldingen/{report.id}/wegwezen").status_code == 404
    assert client.post(f"/moderatie/meldingen/{report.id}/hide").status_code == 302
    assert db.session.get(Answer, answer.id).hidden_at is not None
    assert db.session.get(Report, report.id).status == "resolved"
    assert "Geen open meldingen." in client.get("/moderatie").get_data(as_text=True)
    entry = db.session.scalar(select(ModerationLog))
    assert (entry.action, entry.answer_id, entry.moderator_id) == (
        "hide",
        answer.id,
        world.moderator.id,
    )
    assert "Gewoon gokken." in client.get("/moderatie/logboek").get_data(as_text=True)


def test_a_dismissed_report_leaves_the_answer_alone(client, world, as_user):
    _question, answer = answered(world)
    as_user(world.utrecht_editor)
    client.post(f"/antwoorden/{answer.id}/melden", data={"reason": "Twijfel"})
    report = db.session.scalar(select(Report))
    client.post("/uitloggen")
    as_user(world.moderator)
    assert client.post(f"/moderatie/meldingen/{report.id}/dismiss").status_code == 302
    assert db.session.get(Answer, answer.id).hidden_at is None
    assert db.session.get(Report, report.id).status == "dismissed"
    assert db.session.scalar(select(ModerationLog.action)) == "dismiss"
    again = client.post(f"/moderatie/meldingen/{report.id}/hide", follow_redirects=True)
    assert "Deze melding is al afgehandeld." in again.get_data(as_text=True)  # a second click
    assert db.session.get(Report, report.id).status == "dismissed"
    assert db.session.get(Answer, answer.id).hidden_at is None
    assert db.session.scalar(select(func.count(ModerationLog.id))) == 1


def test_hiding_from_the_question_page_settles_the_answers_reports(client, world, as_user):
    _question, answer = answered(world)
    as_user(world.utrecht_editor)
    client.post(f"/antwoorden/{answer.id}/melden", data={"reason": "Onjuist"})
    assert client.post(f"/antwoorden/{answer.id}/verbergen").status_code == 403  # not a moderator
    client.post("/uitloggen")
    as_user(world.moderator)
    assert client.post(f"/antwoorden/{answer.id}/verbergen").status_code == 302
    assert db.session.get(Answer, answer.id).hidden_at is not None
    assert db.session.scalar(select(Report.status)) == "resolved"
    assert "Geen open meldingen." in client.get("/moderatie").get_data(as_text=True)
    assert db.session.scalar(select(ModerationLog.action)) == "hide"


def test_profiles_and_experts_list_are_for_members(client, world, as_user):
    answered(world)
    assert client.get("/leden").status_code == 302  # to the login
    assert client.get(f"/leden/{world.utrecht_member.id}").status_code == 302
    as_user(world.utrecht_editor)
    people = client.get("/leden").get_data(as_text=True)
    assert "Sanne Bakker" in people and "Bram Buiten" not in people  # no organisation: no profile
    profile = client.get(f"/leden/{world.utrecht_member.id}").get_data(as_text=True)
    assert "Hoe meet ik MVI-resultaten?" in profile
    assert client.get(f"/leden/{world.outsider.id}").status_code == 404
