"""The question kind, as the shared item machinery sees it (answers live in this package)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.content.forms import ItemForm
from portal.content.kinds import KindSpec
from portal.content.linked_data import organisation, plain_text
from portal.extensions import db, id_among
from portal.organisations.models import Organisation
from portal.questions.models import Answer, Question
from portal.questions.services import apply_fields
from portal.regions.models import Region


def linked_data(question: Question) -> dict:
    """schema.org QAPage: the question and the answers its page shows everyone (never one a
    moderator hid), the accepted or verified one as the accepted answer."""
    shown = [a for a in question.answers if a.hidden_at is None]

    def answer(a: Answer) -> dict:
        data = {"@type": "Answer", "text": plain_text(a.body_html), "upvoteCount": a.useful_count,
                "dateCreated": a.created_at.isoformat(), "url": f"#antwoord-{a.id}"}  # fmt: skip
        if a.organisation is not None:
            data["author"] = organisation(a.organisation)
        return data

    accepted = [a for a in shown if a.accepted_at or a.verified_at]
    main = {
        "@type": "Question",
        "name": question.title,
        "text": question.summary or plain_text(question.body_html) or question.title,
        "answerCount": len(shown),
        "author": organisation(question.organisation),
    }
    if question.published_at:
        main["dateCreated"] = question.published_at.isoformat()
    if accepted:
        main["acceptedAnswer"] = answer(accepted[0])
    others = [answer(a) for a in shown if not accepted or a is not accepted[0]]
    if others:
        main["suggestedAnswer"] = others
    return {"@type": "QAPage", "mainEntity": main}


def answered(ids: list[int]) -> set[int]:
    """The questions among ids with an accepted or verified answer that is not hidden."""
    return set(
        db.session.scalars(
            select(Answer.question_id).where(
                id_among(Answer.question_id, ids),
                Answer.hidden_at.is_(None),
                or_(Answer.accepted_at.is_not(None), Answer.verified_at.is_not(None)),
            )
        )
    )


SPEC = KindSpec(
    key="question",
    url="vragen",
    model=Question,
    label=_l("Vraag"),
    plural=_l("Vragen"),
    intro=_l(
        "Vragen van collega's en de antwoorden van wie het eerder deed: peer-antwoorden en "
        "geverifieerde antwoorden."
    ),
    badge=_l("Vraag"),
    apply_fields=apply_fields,
    knowledge=False,
    form=ItemForm,  # asked at /vragen/nieuw; edited with the shared fields only
    detail_template="questions/_details.html",
    shows_body=False,
    text_fields=("answers_text",),
    answered=answered,
    linked_data=linked_data,
    search_boost=1.0,
    announce=False,  # the question service tells the people it is addressed to
    field_labels={
        "region": _l("Regio"),
        "addressed_to": _l("Gericht aan organisaties"),
        "duplicate_of": _l("Dubbel van"),
    },
    field_terms={"region": Region, "addressed_to": Organisation},
    reference_fields=("duplicate_of",),
)
