"""The question kind, as the shared item machinery sees it (answers live in this package)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.content.forms import ItemForm
from portal.content.kinds import KindSpec
from portal.extensions import db, id_among
from portal.organisations.models import Organisation
from portal.questions.models import Answer, Question
from portal.questions.services import apply_fields
from portal.regions.models import Region


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
