"""Questions and answers: a question is a knowledge item of kind 'question' (so it shares
visibility, themes, revisions, search and follows); answers, votes and comments hang under it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.common import utcnow
from portal.content.models import Item
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.organisations.models import Organisation
    from portal.regions.models import Region

question_addressees = Table(
    "question_addressees",
    db.metadata,
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)
question_mentions = Table(
    "question_mentions",
    db.metadata,
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)
answer_items = Table(
    "answer_items",
    db.metadata,
    Column("answer_id", ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
)


class Question(Item):
    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    # Optional scope: a region ("mijn regio" lists); a working group is the item's group visibility.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), index=True
    )

    __mapper_args__ = {"polymorphic_identity": "question", "inherit_condition": id == Item.id}

    region: Mapped[Region | None] = relationship()
    duplicate_of: Mapped[Item | None] = relationship(
        foreign_keys=[duplicate_of_id], primaryjoin="Question.duplicate_of_id == Item.id"
    )
    addressed_to: Mapped[list[Organisation]] = relationship(secondary=question_addressees)
    mentions: Mapped[list[User]] = relationship(secondary=question_mentions)
    answers: Mapped[list[Answer]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        foreign_keys="Answer.question_id",
        order_by="Answer.id",
    )

    @property
    def answers_text(self) -> str:
        """Visible answers' text, indexed with the question so search finds what was answered."""
        return "\n".join(a.body_md for a in self.answers if a.hidden_at is None)

    @property
    def accepted_answer(self) -> Answer | None:
        return next((a for a in self.answers if a.accepted_at and a.hidden_at is None), None)

    def ordered_answers(self, include_hidden: bool = False) -> list[Answer]:
        """Accepted first, then verified, then most useful, then oldest."""
        shown = [a for a in self.answers if include_hidden or a.hidden_at is None]
        return sorted(
            shown,
            key=lambda a: (a.accepted_at is None, a.verified_at is None, -a.useful_count, a.id),
        )

    def kind_fields(self) -> dict:
        return {
            "region": self.region.slug if self.region else None,
            "addressed_to": sorted(o.slug for o in self.addressed_to),
            "duplicate_of": self.duplicate_of.slug if self.duplicate_of else None,
        }


class Answer(db.Model):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The author's organisation when answering, so the answer keeps its context.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    useful_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    question: Mapped[Question] = relationship(back_populates="answers", foreign_keys=[question_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    organisation: Mapped[Organisation | None] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    linked_items: Mapped[list[Item]] = relationship(secondary=answer_items)
    revisions: Mapped[list[AnswerRevision]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", order_by="AnswerRevision.number"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", order_by="Comment.id"
    )

    @property
    def indexed_item_id(self) -> int:
        """The item whose search document holds this answer's text."""
        return self.question_id

    @property
    def anchor(self) -> str:
        """Its place on the question page (#antwoord-N)."""
        return f"#antwoord-{self.id}"


class AnswerRevision(db.Model):
    __tablename__ = "answer_revisions"
    __table_args__ = (UniqueConstraint("answer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    editor_name: Mapped[str] = mapped_column(String(120))
    body_md: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    answer: Mapped[Answer] = relationship(back_populates="revisions")


class AnswerVote(db.Model):
    """One "nuttig" per member per answer (the primary key makes a second one impossible)."""

    __tablename__ = "answer_votes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Comment(db.Model):
    """A short remark under an answer."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    answer: Mapped[Answer] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()
