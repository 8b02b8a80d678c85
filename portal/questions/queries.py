"""Read queries for answers: counts per member (profiles, the experts list) and per question."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.content.queries import visible_to
from portal.extensions import db
from portal.questions.models import Answer, Question


@dataclass(frozen=True)
class AnswerStats:
    answers: int = 0
    accepted: int = 0
    verified: int = 0


def answer_stats(user_ids: list[int], viewer) -> dict[int, AnswerStats]:
    """Per member: visible answers, accepted ones and verified ones (one query)."""
    visible_questions = select(Question.id).where(*visible_to(viewer))
    rows = db.session.execute(
        select(
            Answer.author_id,
            func.count(Answer.id),
            func.count(Answer.accepted_at),
            func.count(Answer.verified_at),
        )
        .where(
            Answer.author_id.in_(user_ids),
            Answer.hidden_at.is_(None),
            Answer.question_id.in_(visible_questions),
        )
        .group_by(Answer.author_id)
    ).all()
    stats = {user_id: AnswerStats() for user_id in user_ids}
    for author_id, answers, accepted, verified in rows:
        stats[author_id] = AnswerStats(answers, accepted, verified)
    return stats


def answers_per_question(question_ids: list[int]) -> dict[int, AnswerStats]:
    """Per question: its shown (not hidden) answers, accepted ones and verified ones (one query)."""
    rows = db.session.execute(
        select(
            Answer.question_id,
            func.count(Answer.id),
            func.count(Answer.accepted_at),
            func.count(Answer.verified_at),
        )
        .where(Answer.question_id.in_(question_ids), Answer.hidden_at.is_(None))
        .group_by(Answer.question_id)
    ).all()
    return {question_id: AnswerStats(*numbers) for question_id, *numbers in rows}


def answers_by(person, viewer, limit: int = 20) -> list[Answer]:
    """The member's newest answers on questions the viewer may see."""
    visible_questions = select(Question.id).where(*visible_to(viewer))
    return list(
        db.session.scalars(
            select(Answer)
            .where(
                Answer.author_id == person.id,
                Answer.hidden_at.is_(None),
                Answer.question_id.in_(visible_questions),
            )
            .order_by(Answer.created_at.desc())
            .limit(limit)
            .options(selectinload(Answer.question))  # the profile links each answer's question
        )
    )
