"""Read queries for answers (counts per member and per question) and for addressing a question
to a group of peers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.content.queries import visible_to
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.permissions import Actor
from portal.questions.models import Answer, Question
from portal.regions.models import Region
from portal.taxonomy.models import SizeClass


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


def asking_organisation(actor: Actor) -> Organisation | None:
    """The organisation a question of actor's stands under (their first approved membership)."""
    memberships = [m for m in getattr(actor, "memberships", []) if m.is_approved]
    return memberships[0].organisation if memberships else None


def _larger(organisation: Organisation) -> list[Organisation]:
    if organisation.size_class is None:
        return []
    return list(
        db.session.scalars(
            select(Organisation)
            .join(SizeClass, SizeClass.id == Organisation.size_class_id)
            .where(SizeClass.position > organisation.size_class.position)
            .order_by(Organisation.name)
        )
    )


def _in_region(organisation: Organisation) -> list[Organisation]:
    region_ids = [r.id for r in organisation.regions]
    if not region_ids:
        return []
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.regions.any(Region.id.in_(region_ids)))
            .order_by(Organisation.name)
        )
    )


def _same_type(organisation: Organisation) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.type_id == organisation.type_id)
            .order_by(Organisation.name)
        )
    )


# "Gericht aan" a group of peers, seen from the asker's organisation: value -> (label, members).
# Expanded to organisations when the question is saved (a later change of a size class or region
# does not change whom a question was addressed to).
ADDRESS_GROUPS: dict[str, tuple[Any, Callable[[Organisation], list[Organisation]]]] = {
    "groter": (_l("Grotere organisaties (een grotere grootteklasse dan de uwe)"), _larger),
    "regio": (_l("Organisaties in mijn regio"), _in_region),
    "type": (_l("Organisaties van hetzelfde type"), _same_type),
}


def address_group(key: str, organisation: Organisation) -> list[Organisation]:
    """The organisations a group choice stands for, the asker's own left out."""
    _label, members = ADDRESS_GROUPS[key]
    return [o for o in members(organisation) if o.id != organisation.id]


def address_groups_for(organisation: Organisation) -> list[tuple[str, Any]]:
    """The group choices that name at least one other organisation for this asker."""
    return [
        (key, label) for key, (label, _m) in ADDRESS_GROUPS.items()
        if address_group(key, organisation)
    ]  # fmt: skip
