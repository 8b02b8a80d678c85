"""The lesson kind, as the shared item machinery sees it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.content.forms import active_terms
from portal.content.kinds import KindSpec, ListFilter
from portal.lessons.forms import LessonForm
from portal.lessons.models import Lesson
from portal.lessons.services import apply_fields
from portal.taxonomy.models import Phase

SPEC = KindSpec(
    key="lesson",
    url="lessen",
    model=Lesson,
    label=_l("Geleerde les"),
    plural=_l("Geleerde lessen"),
    intro=_l("Wat werkte en wat een volgende keer anders moet, in één zin en met context."),
    badge=_l("Geleerde les"),
    apply_fields=apply_fields,
    search_boost=1.15,
    form=LessonForm,
    list_filters=(
        ListFilter(
            "fase",
            _l("Fase"),
            _l("Alle fasen"),
            lambda: active_terms(Phase),
            lambda value: Lesson.phase.has(Phase.slug == value),
        ),
    ),
    detail_template="lessons/_details.html",
    text_fields=("lesson", "context", "what_worked", "do_differently"),
    term_fields=("phase",),
    links={"*": "about"},
)
