"""The registry of knowledge kinds: everything the shared machinery needs to know per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.consultations.models import Consultation
from portal.content.models import Item
from portal.criteria.models import Criterion
from portal.events.models import Event
from portal.lessons.models import Lesson
from portal.questions.models import Question
from portal.tenders.models import Tender


@dataclass(frozen=True)
class KindSpec:
    key: str  # stored in items.kind
    url: str  # URL segment: /aanbestedingen/...
    model: type[Item]
    label: Any  # singular, lazily translated
    plural: Any
    intro: Any
    apply_fields: Callable[[Item, dict], None]
    filters: tuple[str, ...]  # extra list filters beyond the shared ones
    # The list's own default order ("datum"), e.g. events: upcoming first.
    list_order: Callable[[], tuple] | None = None
    # Extra template values for the detail page: detail_context(item, user) -> dict.
    detail_context: Callable[[Item, Any], dict] | None = None


def _registry() -> dict[str, KindSpec]:
    from portal.consultations.services import apply_fields as consultation_fields
    from portal.criteria.services import apply_fields as criterion_fields
    from portal.events.queries import detail_context as event_details
    from portal.events.queries import upcoming_first
    from portal.events.services import apply_fields as event_fields
    from portal.lessons.services import apply_fields as lesson_fields
    from portal.questions.services import apply_fields as question_fields
    from portal.tenders.services import apply_fields as tender_fields

    specs = [
        KindSpec("tender", "aanbestedingen", Tender, _l("Voorbeeldaanbesteding"), _l("Voorbeeldaanbestedingen"),
                 _l("Concrete aanbestedingen van collega's: welke criteria, met welk gewicht, wat de markt bood en wat het opleverde."),
                 tender_fields, ("procedure", "status")),
        KindSpec("criterion", "criteria", Criterion, _l("Criterium of eis"), _l("Criteria en eisen"),
                 _l("Eisen, gunningscriteria en contractbepalingen om te hergebruiken, met hun weging en bewijsmiddel."),
                 criterion_fields, ("ambitieniveau", "soort")),
        KindSpec("consultation", "marktconsultaties", Consultation, _l("Marktconsultatie"), _l("Marktconsultaties"),
                 _l("Wat overheden de markt vroegen voor een aanbesteding, en wat er daarna veranderde."),
                 consultation_fields, ()),
        KindSpec("lesson", "lessen", Lesson, _l("Geleerde les"), _l("Geleerde lessen"),
                 _l("Wat werkte en wat een volgende keer anders moet, in één zin en met context."),
                 lesson_fields, ("fase",)),
        KindSpec("event", "bijeenkomsten", Event, _l("Bijeenkomst"), _l("Bijeenkomsten"),
                 _l("Regionale bijeenkomsten, marktbijeenkomsten, webinars en werkgroepoverleggen: meld u aan, zet ze in uw agenda en lees achteraf het verslag."),
                 event_fields, ("soort", "wanneer"), list_order=upcoming_first, detail_context=event_details),
        KindSpec("question", "vragen", Question, _l("Vraag"), _l("Vragen"),
                 _l("Vragen van collega's en de antwoorden van wie het eerder deed: peer-antwoorden en geverifieerde antwoorden."),
                 question_fields, ()),
    ]  # fmt: skip
    return {spec.key: spec for spec in specs}


KINDS: dict[str, KindSpec] = {}


def kinds() -> dict[str, KindSpec]:
    """The registry, built on first use (the kind packages import content models)."""
    if not KINDS:
        KINDS.update(_registry())
    return KINDS


def by_url(segment: str) -> KindSpec | None:
    return next((spec for spec in kinds().values() if spec.url == segment), None)
