"""Writes of the tender calendar: planned tenders (one by one, by spreadsheet, as demo data),
interest in buying together and its answer, and turning a planned tender into a tender item.

Notices (and their mail, through the outbox) are made inside the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal import spreadsheets
from portal.accounts.models import User
from portal.common import ServiceError, utcnow
from portal.content.kinds import kinds
from portal.content.services import ItemData, create_item
from portal.content.validation import iso_date, text, value_range, whole_number
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.lookups import by_slug
from portal.mail import absolute_url
from portal.notifications.fanout import notify
from portal.notifications.models import Follow, Notification
from portal.organisations.models import Membership, Organisation
from portal.permissions import (
    SYSTEM,
    Actor,
    authorized_by,
    can_answer_interest,
    can_convert_planned_tender,
    can_edit_calendar,
    can_edit_planned_tender,
    can_express_interest,
    can_moderate,
    can_view_planned_tender,
    is_group_member,
)
from portal.planning.models import (
    FIRST_YEAR,
    LAST_YEAR,
    VISIBILITIES,
    PlannedTender,
    PlannedTenderInterest,
)
from portal.regions.models import Region
from portal.spreadsheets import UploadResult, lookup_term
from portal.taxonomy.models import ProductGroup, Theme
from portal.taxonomy.services import clean_cpv_codes
from portal.tenders.models import Tender
from portal.tenders.services import MAX_VALUE

MAX_UPLOAD_ROWS = 5000
MAX_THEMES = 12
# Visibility as a spreadsheet may write it.
VISIBILITY_WORDS = {
    "iedereen": "public", "openbaar": "public", "public": "public",
    "leden": "members", "alleen leden": "members", "members": "members",
    "werkgroep": "group", "group": "group",
}  # fmt: skip


@dataclass
class PlanData:
    """A planned tender's fields as a form or a spreadsheet row gives them (terms by slug or
    name)."""

    title: str
    product_group: str | None
    year: int | str | None
    quarter: int | str | None
    reference: str = ""
    description: str = ""
    cpv_code: str = ""
    contract_start: Any = None
    value_min: int | str | None = None
    value_max: int | str | None = None
    region: str | None = None
    themes: list[str] = field(default_factory=list)
    contact_role: str = ""
    visibility: str = "members"
    group: str | None = None


# --- Cleaning --------------------------------------------------------------------------------


def _quarter(value: Any) -> int:
    """1 to 4; also 'K3' or 'Q3'."""
    raw = str(value if value is not None else "").strip().upper()
    if raw == "":
        raise ServiceError(_("Vul het verwachte kwartaal in."), field="quarter")
    match = re.fullmatch(r"[KQ]?\s*([0-9]{1,2})", raw)
    if match is None or not 1 <= int(match.group(1)) <= 4:
        raise ServiceError(
            _("Kwartaal '%(value)s' bestaat niet: kies 1, 2, 3 of 4.", value=raw[:20]),
            field="quarter",
        )
    return int(match.group(1))


def clean_plan(data: PlanData, actor: Actor, known: dict | None = None) -> dict[str, Any]:
    """Validate data into column values (ServiceError naming the field on the first problem)."""
    fields = vars(data)
    values: dict[str, Any] = {
        "reference": text(fields, "reference", _l("de referentie"), 100),
        "title": text(fields, "title", _l("de titel"), 200, required=True),
        "description": text(fields, "description", _l("de omschrijving"), 2000),
        "contact_role": text(fields, "contact_role", _l("de contactrol"), 120),
    }
    for name in ("reference", "title", "contact_role"):
        if "\n" in values[name]:
            raise ServiceError(_("Gebruik één regel."), field=name)
    values["product_group"] = lookup_term(
        ProductGroup, data.product_group, "product_group", _l("de productgroep"), known
    )
    if values["product_group"] is None:
        raise ServiceError(_("Kies een productgroep."), field="product_group")
    year = whole_number(fields, "year", _l("het jaar"), low=FIRST_YEAR, high=LAST_YEAR)
    if year is None:
        raise ServiceError(_("Vul het jaar van de verwachte publicatie in."), field="year")
    values["year"], values["quarter"] = year, _quarter(data.quarter)
    raw_start = data.contract_start
    if isinstance(raw_start, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]00:00(:00)?", raw_start):
        raw_start = raw_start[:10]  # a date cell of a spreadsheet
    values["contract_start"] = iso_date(
        {"contract_start": raw_start}, "contract_start", _l("de startdatum van het contract")
    )
    values["value_min"], values["value_max"] = value_range(
        fields, _l("de waarde (vanaf)"), _l("de waarde (tot)"), high=MAX_VALUE
    )
    try:
        codes = clean_cpv_codes(str(data.cpv_code or ""))
    except ServiceError as error:
        raise ServiceError(error.message, field="cpv_code") from None
    if len(codes.split()) > 1:
        raise ServiceError(_("Vul één CPV-code in."), field="cpv_code")
    values["cpv_code"] = codes
    values["region"] = lookup_term(Region, data.region, "region", _l("de regio"), known)
    themes = [t for t in (data.themes or []) if str(t).strip()]
    if len(themes) > MAX_THEMES:
        raise ServiceError(_("Kies hoogstens %(n)d thema's.", n=MAX_THEMES), field="themes")
    values["themes"] = list(
        dict.fromkeys(lookup_term(Theme, t, "themes", _l("het thema"), known) for t in themes)
    )
    visibility = VISIBILITY_WORDS.get(str(data.visibility or "members").strip().lower())
    if visibility not in VISIBILITIES:
        raise ServiceError(
            _("Kies wie de geplande aanbesteding mag zien: iedereen, leden of één werkgroep."),
            field="visibility",
        )
    values["visibility"] = visibility
    values["group"] = None
    if visibility == "group":
        group = by_slug(WorkingGroup, data.group) if data.group else None
        if group is None:
            raise ServiceError(_("Kies de werkgroep die het mag zien."), field="group")
        if not (actor is SYSTEM or can_moderate(actor) or is_group_member(actor, group)):
            raise ServiceError(_("U kunt alleen een werkgroep kiezen waarvan u lid bent."), field="group")  # fmt: skip
        values["group"] = group
    return values


def _reference_taken(organisation: Organisation, reference: str, planned_id: int | None) -> bool:
    query = select(PlannedTender.id).where(
        PlannedTender.organisation_id == organisation.id, PlannedTender.reference == reference
    )
    if planned_id is not None:
        query = query.where(PlannedTender.id != planned_id)
    return db.session.scalar(query.limit(1)) is not None


def _apply(planned: PlannedTender, values: dict[str, Any], actor: Actor) -> None:
    for name in (
        "reference", "title", "description", "product_group", "cpv_code", "year", "quarter",
        "contract_start", "value_min", "value_max", "region", "contact_role", "visibility",
        "group", "themes",
    ):  # fmt: skip
        setattr(planned, name, values[name])
    planned.updated_by_id = getattr(actor, "id", None)
    planned.updated_at = utcnow()


# --- Notices ---------------------------------------------------------------------------------


def _editors(organisation: Organisation) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation.id,
                Membership.status == "approved",
                Membership.role.in_(("editor", "admin")),
            )
            .order_by(User.id)
            .options(selectinload(User.memberships))
        )
    )


def _page_url(planned: PlannedTender, anchor: str = "") -> str:
    return absolute_url("planning.show", planned_id=planned.id) + anchor


def _announce(planned: PlannedTender, actor: Actor) -> int:
    """Tell the followers of its product group, regions and organisation who may see it."""
    targets = [
        ("product_group", planned.product_group_id),
        ("organisation", planned.organisation_id),
    ]
    targets += [("region", region.id) for region in planned.regions]
    conditions = [(Follow.target_type == kind) & (Follow.target_id == tid) for kind, tid in targets]
    users = db.session.scalars(
        select(User)
        .where(User.id.in_(select(Follow.user_id).where(or_(*conditions))))
        .order_by(User.id)
        .options(selectinload(User.memberships))
    )
    return notify(
        [user for user in users if can_view_planned_tender(user, planned)],
        key=f"planned:{planned.id}",
        message=_l(
            "%(org)s plant een aanbesteding in %(group)s (%(year)d K%(quarter)d): '%(title)s'",
            org=planned.organisation.name,
            group=planned.product_group.name,
            year=planned.year,
            quarter=planned.quarter,
            title=planned.title,
        ),
        item=None,
        url=_page_url(planned),
        actor=actor,
    )


# --- Planned tenders -------------------------------------------------------------------------


def _new_reference() -> str:
    return f"KAL-{uuid4().hex[:8].upper()}"


@authorized_by(can_edit_calendar)
def create_planned_tender(
    organisation: Organisation, data: PlanData, *, actor: Actor
) -> PlannedTender:
    """Add a planned tender to organisation's calendar and tell who follows its subject."""
    values = clean_plan(data, actor)
    values["reference"] = values["reference"] or _new_reference()
    if _reference_taken(organisation, values["reference"], None):
        raise ServiceError(
            _("Er is al een geplande aanbesteding met deze referentie."), field="reference", status=409
        )  # fmt: skip
    planned = PlannedTender(organisation=organisation, created_by_id=getattr(actor, "id", None))
    _apply(planned, values, actor)
    db.session.add(planned)
    db.session.flush()
    _announce(planned, actor)
    return planned


@authorized_by(can_edit_planned_tender)
def update_planned_tender(planned: PlannedTender, data: PlanData, *, actor: Actor) -> PlannedTender:
    """Change a planned tender's fields."""
    values = clean_plan(data, actor)
    values["reference"] = values["reference"] or planned.reference
    if _reference_taken(planned.organisation, values["reference"], planned.id):
        raise ServiceError(
            _("Er is al een geplande aanbesteding met deze referentie."), field="reference", status=409
        )  # fmt: skip
    _apply(planned, values, actor)
    db.session.flush()
    _withdraw_notices(planned)
    return planned


def _withdraw_notices(planned: PlannedTender, *, everyone: bool = False) -> None:
    """Take back the notices naming planned from whoever may no longer see it (narrower
    visibility, another group), or from everyone when it is deleted. A notice without an item is
    not checked again when shown, so its title must not outlive the reader's access."""
    answered = select(PlannedTenderInterest.id).where(PlannedTenderInterest.target_id == planned.id)
    keys = [f"planned:{planned.id}"]  # these name it to its followers; answers name the target
    keys += [f"interest-answer:{interest_id}" for interest_id in db.session.scalars(answered)]
    notices = db.session.scalars(select(Notification).where(Notification.key.in_(keys))).all()
    readers = {} if everyone else {
        user.id: user
        for user in db.session.scalars(
            select(User)
            .where(User.id.in_({n.user_id for n in notices}))
            .options(selectinload(User.memberships))
        )
    }  # fmt: skip
    for notice in notices:
        reader = readers.get(notice.user_id)
        if reader is None or not can_view_planned_tender(reader, planned):
            db.session.delete(notice)
    db.session.flush()


@authorized_by(can_edit_planned_tender)
def delete_planned_tender(planned: PlannedTender, *, actor: Actor) -> None:
    """Delete a planned tender with its interests and the notices that name it (a tender item
    made of it stays)."""
    _withdraw_notices(planned, everyone=True)
    db.session.delete(planned)
    db.session.flush()


@authorized_by(can_convert_planned_tender)
def convert_planned_tender(planned: PlannedTender, *, actor: Actor) -> Tender:
    """Make a draft example tender of planned (its fields carried over) and link the two."""
    data = ItemData(
        title=planned.title,
        summary=planned.description[:600],
        year=planned.year,
        status="draft",
        visibility=planned.visibility,
        group=planned.group.slug if planned.group else None,
        themes=[theme.slug for theme in planned.themes],
        product_groups=[planned.product_group.slug],
        fields={
            "cpv_codes": planned.cpv_code,
            "value_min": planned.value_min,
            "value_max": planned.value_max,
            "tender_reference": planned.reference,
        },
    )
    tender = create_item(planned.organisation, kinds()["tender"], data, actor=actor)
    planned.tender_id = tender.id
    planned.updated_by_id = getattr(actor, "id", None)
    planned.updated_at = utcnow()
    db.session.flush()
    return tender  # type: ignore[return-value]


# --- Interest in buying together ---------------------------------------------------------------


@authorized_by(can_express_interest)
def express_interest(
    own: PlannedTender, other: PlannedTender, *, actor: Actor
) -> PlannedTenderInterest:
    """Tell other's organisation that own's organisation would like to buy together; only its
    editors who may see own are told, and there must be one."""
    for source, target in ((own, other), (other, own)):
        existing = db.session.scalar(
            select(PlannedTenderInterest).where(
                PlannedTenderInterest.source_id == source.id,
                PlannedTenderInterest.target_id == target.id,
            )
        )
        if existing is not None and source is own:
            raise ServiceError(_("U heeft hier al belangstelling voor getoond."), status=409)
        if existing is not None and existing.status == "pending":
            raise ServiceError(
                _("%(org)s heeft al belangstelling getoond voor uw geplande aanbesteding: u kunt die accepteren.", org=other.organisation.name),
                status=409,
            )  # fmt: skip
    recipients = [u for u in _editors(other.organisation) if can_view_planned_tender(u, own)]
    if not recipients:
        raise ServiceError(
            _("Niemand bij %(org)s die de inkoopkalender bijhoudt, kan uw geplande aanbesteding zien. Maak haar zichtbaar voor alle leden om belangstelling te tonen.", org=other.organisation.name),
        )  # fmt: skip
    interest = PlannedTenderInterest(
        source=own, target=other, status="pending", created_by_id=actor.id
    )
    db.session.add(interest)
    db.session.flush()
    notify(
        recipients,
        key=f"interest:{interest.id}",
        message=_l(
            "%(org)s wil misschien samen inkopen met uw geplande aanbesteding '%(title)s'",
            org=own.organisation.name,
            title=other.title,
        ),
        item=None,
        url=_page_url(other, "#belangstelling"),
        actor=actor,
    )
    return interest


@authorized_by(can_answer_interest)
def answer_interest(
    interest: PlannedTenderInterest, accept: bool, *, actor: Actor
) -> PlannedTenderInterest:
    """Accept (both sides then see each other's contact) or decline; the asking side is told."""
    if interest.status != "pending":
        raise ServiceError(_("Op deze belangstelling is al geantwoord."), status=409)
    interest.status = "accepted" if accept else "declined"
    interest.decided_by_id = actor.id
    interest.decided_at = utcnow()
    db.session.flush()
    source, target = interest.source, interest.target
    told = _editors(source.organisation)
    if interest.created_by is not None and interest.created_by not in told:
        told.append(interest.created_by)
    message = (
        _l("%(org)s wil samen inkopen: uw belangstelling voor '%(title)s' is geaccepteerd", org=target.organisation.name, title=target.title)
        if accept
        else _l("%(org)s heeft uw belangstelling voor '%(title)s' afgewezen", org=target.organisation.name, title=target.title)
    )  # fmt: skip
    notify(
        [u for u in told if can_edit_planned_tender(u, source) and can_view_planned_tender(u, target)],
        key=f"interest-answer:{interest.id}",
        message=message,
        item=None,
        url=_page_url(source, "#belangstelling"),
        actor=actor,
    )  # fmt: skip
    return interest


# --- Spreadsheet import ------------------------------------------------------------------------

# (field, column header in the spreadsheet, example value)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("reference", "referentie", "2027-INK-004"),
    ("title", "titel", "Schoonmaak gemeentelijke gebouwen"),
    ("description", "omschrijving", "Nieuw contract voor schoonmaak van het gemeentehuis."),
    ("product_group", "productgroep", ""),
    ("cpv_code", "cpv", "90911200"),
    ("year", "jaar", "2027"),
    ("quarter", "kwartaal", "2"),
    ("contract_start", "contractstart", "2028-01-01"),
    ("value_min", "waarde_vanaf", "200000"),
    ("value_max", "waarde_tot", "400000"),
    ("region", "regio", ""),
    ("themes", "themas", ""),  # separated by ; or ,
    ("contact_role", "contactrol", "inkoopadviseur"),
    ("visibility", "zichtbaarheid", "leden"),
    ("group", "werkgroep", ""),
)
HEADERS = {name: header for name, header, _example in COLUMNS}


def example_row() -> dict[str, str]:
    """The template's example row, with terms that exist in this portal."""
    row = {header: example for _name, header, example in COLUMNS}
    first = {
        model: db.session.scalar(
            select(model.slug).where(model.is_active).order_by(model.position).limit(1)
        )
        for model in (ProductGroup, Theme)
    }
    row["productgroep"] = first[ProductGroup] or ""
    row["themas"] = first[Theme] or ""
    row["regio"] = db.session.scalar(select(Region.slug).order_by(Region.name).limit(1)) or ""
    return row


def template_csv() -> bytes:
    """The calendar's import template as CSV."""
    return spreadsheets.template_csv(list(HEADERS.values()), example_row())


def template_xlsx() -> bytes:
    """The calendar's import template as an XLSX workbook."""
    return spreadsheets.template_xlsx(
        list(HEADERS.values()), example_row(), title="inkoopkalender",
        text_columns=("referentie", "cpv", "contractstart"),
    )  # fmt: skip


@authorized_by(can_edit_calendar)
def import_planned_tenders(
    organisation: Organisation, filename: str, content: bytes, *, actor: Actor
) -> UploadResult:
    """Create or update (by reference) a planned tender per row; one bad row and nothing is
    written."""
    _header, rows = spreadsheets.read_sheet(
        filename,
        content,
        required=("referentie", "titel", "productgroep", "jaar", "kwartaal"),
        known=list(HEADERS.values()),
        max_rows=MAX_UPLOAD_ROWS,
    )
    known: dict = {}

    def clean(cells: dict[str, str]) -> dict[str, Any]:
        data = PlanData(
            **{name: cells.get(header, "") for name, header in HEADERS.items() if name != "themes"},
            themes=[t.strip() for t in re.split(r"[;,]", cells.get("themas", ""))],
        )
        values = clean_plan(data, actor, known)
        if not values["reference"]:
            raise ServiceError(_("Vul de referentie in."), field="reference")
        return values

    cleaned = spreadsheets.clean_rows(rows, clean, HEADERS)
    existing = {
        planned.reference: planned
        for planned in db.session.scalars(
            select(PlannedTender).where(PlannedTender.organisation_id == organisation.id)
        )
    }
    created: list[PlannedTender] = []
    updated = 0
    for values in cleaned:
        planned = existing.get(values["reference"])
        if planned is None:
            planned = PlannedTender(
                organisation=organisation, created_by_id=getattr(actor, "id", None)
            )
            db.session.add(planned)
            created.append(planned)
        else:
            updated += 1
        _apply(planned, values, actor)
    db.session.flush()
    for planned in created:
        _announce(planned, actor)
    return UploadResult(created=len(created), updated=updated)


# --- Demo data ------------------------------------------------------------------------------------


@authorized_by(can_edit_calendar)
def load_demo_planned_tenders(
    organisation: Organisation, plans: list[PlanData], *, actor: Actor
) -> int:
    """Add demo planned tenders, each validated like a form row, without notices; an
    organisation with demo planned tenders already gets none (the seed runs again and again).

    Return how many were added."""
    has_demo = db.session.scalar(
        select(PlannedTender.id)
        .where(PlannedTender.organisation_id == organisation.id, PlannedTender.demo.is_(True))
        .limit(1)
    )
    if has_demo is not None or not plans:
        return 0
    for data in plans:
        values = clean_plan(data, actor)
        if _reference_taken(organisation, values["reference"], None):
            raise ServiceError(_("Er is al een geplande aanbesteding met deze referentie."))
        planned = PlannedTender(organisation=organisation, demo=True)
        _apply(planned, values, actor)
        db.session.add(planned)
    db.session.flush()
    return len(plans)
