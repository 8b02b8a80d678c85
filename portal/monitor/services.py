"""Monitor records: create, edit, delete, upload a spreadsheet, promote to an example tender, and
the organisation's monitor population (its records and its example tenders, as uniform rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, or_, select

from portal import spreadsheets
from portal.common import ServiceError, utcnow
from portal.content.kinds import kinds
from portal.content.models import item_co_owners
from portal.content.services import ItemData, create_item
from portal.content.validation import text, value_range, whole_number
from portal.extensions import db
from portal.monitor.models import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_RECORD_MVI_ROWS,
    MonitorRecord,
    MonitorRecordMvi,
)
from portal.organisations.models import Organisation
from portal.permissions import (
    Actor,
    authorized_by,
    can_change_monitor_settings,
    can_edit_monitor_record,
    can_edit_monitor_records,
    can_promote_monitor_record,
)
from portal.spreadsheets import UploadResult, lookup_term
from portal.taxonomy.models import (
    AmbitionLevel,
    AwardMethod,
    Instrument,
    Procedure,
    ProductGroup,
    Theme,
)
from portal.taxonomy.services import clean_cpv_codes
from portal.tenders.models import Tender
from portal.tenders.services import MAX_VALUE

MAX_UPLOAD_ROWS = 5000
YES = frozenset({"ja", "j", "yes", "y", "1", "true", "waar", "x"})
NO = frozenset({"nee", "n", "no", "0", "false", "onwaar", ""})


@dataclass
class RecordData:
    """A record's fields as a form or a spreadsheet row gives them (terms by slug or name)."""

    reference: str
    title: str
    year: int | str | None
    value_min: int | str | None = None
    value_max: int | str | None = None
    product_group: str | None = None
    cpv_code: str = ""
    procedure: str | None = None
    award_method: str | None = None
    mvi_applied: bool | str | None = False
    # Each row: {"theme": ..., "instrument": ..., "ambition_level": ...}
    mvi: list[dict[str, Any]] = field(default_factory=list)
    realised_percent: int | str | None = None


# --- Cleaning --------------------------------------------------------------------------------


def _yes_no(value: Any, name: str, label: str) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    raw = str(value).strip().lower()
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise ServiceError(_("Vul bij %(label)s 'ja' of 'nee' in.", label=label), field=name)


def _mvi_rows(
    rows: list[dict[str, Any]], known: dict | None
) -> list[tuple[Theme, Instrument | None, Any]]:
    cleaned = []
    for row in rows:
        if all(row.get(k) in (None, "") for k in ("theme", "instrument", "ambition_level")):
            continue
        theme = lookup_term(Theme, row.get("theme"), "mvi", _l("het thema"), known)
        if theme is None:
            raise ServiceError(_("Kies bij elke MVI-rij een thema."), field="mvi")
        instrument = lookup_term(
            Instrument, row.get("instrument"), "mvi", _l("het instrument"), known
        )
        level = lookup_term(
            AmbitionLevel, row.get("ambition_level"), "mvi", _l("het ambitieniveau"), known
        )
        cleaned.append((theme, instrument, level))
    if len(cleaned) > MAX_RECORD_MVI_ROWS:
        raise ServiceError(
            _("Vul hoogstens %(n)d MVI-rijen in.", n=MAX_RECORD_MVI_ROWS), field="mvi"
        )
    return cleaned


def clean_record(data: RecordData, known: dict | None = None) -> dict[str, Any]:
    """Validate data into column values (ServiceError naming the field on the first problem)."""
    fields = vars(data)
    values: dict[str, Any] = {
        "reference": text(fields, "reference", _l("de referentie"), 100, required=True),
        "title": text(fields, "title", _l("de titel"), 200, required=True),
    }
    if "\n" in values["reference"] or "\n" in values["title"]:
        raise ServiceError(
            _("Gebruik één regel."), field="title" if "\n" in values["title"] else "reference"
        )
    year = whole_number(fields, "year", _l("het jaar"), low=FIRST_YEAR, high=LAST_YEAR)
    if year is None:
        raise ServiceError(_("Vul het jaar in."), field="year")
    values["year"] = year
    values["value_min"], values["value_max"] = value_range(
        fields, _l("de waarde (vanaf)"), _l("de waarde (tot)"), high=MAX_VALUE
    )
    values["product_group"] = lookup_term(
        ProductGroup, data.product_group, "product_group", _l("de productgroep"), known
    )
    try:
        codes = clean_cpv_codes(str(data.cpv_code or ""))
    except ServiceError as error:
        raise ServiceError(error.message, field="cpv_code") from None
    if len(codes.split()) > 1:
        raise ServiceError(_("Vul één CPV-code in."), field="cpv_code")
    values["cpv_code"] = codes
    values["procedure"] = lookup_term(
        Procedure, data.procedure, "procedure", _l("de procedure"), known
    )
    values["award_method"] = lookup_term(
        AwardMethod, data.award_method, "award_method", _l("de gunningsmethode"), known
    )
    rows = _mvi_rows(data.mvi or [], known)
    values["mvi_applied"] = _yes_no(data.mvi_applied, "mvi_applied", _l("MVI toegepast")) or bool(
        rows
    )
    values["mvi_rows"] = rows
    values["realised_percent"] = whole_number(
        fields, "realised_percent", _l("het gerealiseerde deel"), high=100
    )
    return values


def _reference_taken(organisation: Organisation, reference: str, record_id: int | None) -> bool:
    query = select(MonitorRecord.id).where(
        MonitorRecord.organisation_id == organisation.id, MonitorRecord.reference == reference
    )
    if record_id is not None:
        query = query.where(MonitorRecord.id != record_id)
    return db.session.scalar(query.limit(1)) is not None


def _unclaimed_tenders(organisation: Organisation) -> dict[str, int]:
    """The organisation's own and co-owned example tenders by their TenderNed reference, that no
    record stands for yet: a record with that reference stands for the tender (so the monitor
    counts it once, with the tender's MKI gain, weights and results)."""
    co_owned = select(item_co_owners.c.item_id).where(
        item_co_owners.c.organisation_id == organisation.id
    )
    claimed = select(MonitorRecord.tender_id).where(MonitorRecord.tender_id.is_not(None))
    found: dict[str, int] = {}
    for reference, tender_id in db.session.execute(
        select(Tender.tender_reference, Tender.id)
        .where(
            Tender.tender_reference != "",
            or_(Tender.organisation_id == organisation.id, Tender.id.in_(co_owned)),
            Tender.id.not_in(claimed),
        )
        .order_by(Tender.id.desc())
    ):
        found[reference] = tender_id  # the oldest tender of a reference wins
    return found


def _reference_moved(record: MonitorRecord) -> bool:
    """Whether the record's reference now differs from that of the tender it stands for (a
    tender without a reference, e.g. promoted from a record without one, stays linked)."""
    linked = db.session.scalar(select(Tender.tender_reference).where(Tender.id == record.tender_id))
    return bool(linked) and linked != record.reference


def _apply(
    record: MonitorRecord,
    values: dict[str, Any],
    actor: Actor,
    tenders: dict[str, int] | None = None,
) -> None:
    for name in (
        "reference", "title", "year", "value_min", "value_max", "cpv_code", "mvi_applied",
        "realised_percent", "product_group", "procedure", "award_method",
    ):  # fmt: skip
        setattr(record, name, values[name])
    record.mvi_rows = [
        MonitorRecordMvi(theme=theme, instrument=instrument, ambition_level=level)
        for theme, instrument, level in values["mvi_rows"]
    ]
    record.updated_by_id = getattr(actor, "id", None)
    record.updated_at = utcnow()
    if record.tender_id is not None and _reference_moved(record):
        record.tender_id = None  # it no longer stands for that tender: perhaps for another
    if record.tender_id is None:
        if tenders is None:
            tenders = _unclaimed_tenders(record.organisation)
        record.tender_id = tenders.pop(record.reference, None)


# --- Writes ----------------------------------------------------------------------------------


@authorized_by(can_edit_monitor_records)
def create_record(organisation: Organisation, data: RecordData, *, actor: Actor) -> MonitorRecord:
    """Register a tender of organisation as a monitor record."""
    values = clean_record(data)
    if _reference_taken(organisation, values["reference"], None):
        raise ServiceError(
            _("Er is al een registratie met deze referentie."), field="reference", status=409
        )
    record = MonitorRecord(organisation=organisation, created_by_id=getattr(actor, "id", None))
    _apply(record, values, actor)
    db.session.add(record)
    db.session.flush()
    return record


@authorized_by(can_edit_monitor_record)
def update_record(record: MonitorRecord, data: RecordData, *, actor: Actor) -> MonitorRecord:
    """Change a record's fields."""
    values = clean_record(data)
    if _reference_taken(record.organisation, values["reference"], record.id):
        raise ServiceError(
            _("Er is al een registratie met deze referentie."), field="reference", status=409
        )
    _apply(record, values, actor)
    db.session.flush()
    return record


@authorized_by(can_edit_monitor_record)
def delete_record(record: MonitorRecord, *, actor: Actor) -> None:
    """Delete a record (an example tender it was promoted to stays)."""
    db.session.delete(record)
    db.session.flush()


@authorized_by(can_change_monitor_settings)
def change_monitor_settings(
    organisation: Organisation, *, public: bool, benchmark: bool, actor: Actor
) -> None:
    """Set whether the organisation's monitor figures are public and whether its tenders count
    in peer benchmarks and the national overview."""
    organisation.monitor_public, organisation.monitor_benchmark = public, benchmark
    db.session.flush()


# --- Spreadsheet upload ------------------------------------------------------------------------

# (field, column header in the spreadsheet, example value)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("reference", "referentie", "2024-INK-017"),
    ("title", "titel", "Onderhoud openbare verlichting"),
    ("year", "jaar", "2024"),
    ("value_min", "waarde_vanaf", "250000"),
    ("value_max", "waarde_tot", "500000"),
    ("product_group", "productgroep", ""),
    ("cpv_code", "cpv", "50232100"),
    ("procedure", "procedure", ""),
    ("award_method", "gunningsmethode", ""),
    ("mvi_applied", "mvi_toegepast", "ja"),
    ("mvi", "mvi", ""),
    ("realised_percent", "realisatie_procent", "80"),
)
HEADERS = {name: header for name, header, _example in COLUMNS}


def example_row() -> dict[str, str]:
    """The template's example row, with terms that exist in this portal's vocabularies."""
    row = {header: example for _name, header, example in COLUMNS}
    first = {
        model: db.session.scalar(
            select(model.slug).where(model.is_active).order_by(model.position).limit(1)
        )
        for model in (ProductGroup, Procedure, AwardMethod, Theme, Instrument, AmbitionLevel)
    }
    row["productgroep"] = first[ProductGroup] or ""
    row["procedure"] = first[Procedure] or ""
    row["gunningsmethode"] = first[AwardMethod] or ""
    if first[Theme]:
        row["mvi"] = ":".join(
            s or "" for s in (first[Theme], first[Instrument], first[AmbitionLevel])
        )
    return row


def template_csv() -> bytes:
    """The upload template as CSV (semicolons, as Dutch spreadsheets write them)."""
    return spreadsheets.template_csv(list(HEADERS.values()), example_row())


def template_xlsx() -> bytes:
    """The upload template as an XLSX workbook."""
    return spreadsheets.template_xlsx(
        list(HEADERS.values()), example_row(), title="registraties", text_columns=("referentie",)
    )


def _mvi_cell(raw: str) -> list[dict[str, str]]:
    """'thema:instrument:ambitie; thema:instrument' -> MVI rows."""
    rows = []
    for part in raw.split(";"):
        if not part.strip():
            continue
        theme, instrument, level = ([p.strip() for p in part.split(":")] + ["", "", ""])[:3]
        rows.append({"theme": theme, "instrument": instrument, "ambition_level": level})
    return rows


@authorized_by(can_edit_monitor_records)
def upload_records(
    organisation: Organisation, filename: str, content: bytes, *, actor: Actor
) -> UploadResult:
    """Create or update (by reference) a record per row; one bad row and nothing is written."""
    _header, rows = spreadsheets.read_sheet(
        filename,
        content,
        required=("referentie", "titel", "jaar"),
        known=list(HEADERS.values()),
        max_rows=MAX_UPLOAD_ROWS,
    )
    known: dict = {}

    def clean(cells: dict[str, str]) -> dict[str, Any]:
        data = RecordData(
            reference=cells.get("referentie", ""),
            title=cells.get("titel", ""),
            year=cells.get("jaar"),
            value_min=cells.get("waarde_vanaf"),
            value_max=cells.get("waarde_tot"),
            product_group=cells.get("productgroep"),
            cpv_code=cells.get("cpv", ""),
            procedure=cells.get("procedure"),
            award_method=cells.get("gunningsmethode"),
            mvi_applied=cells.get("mvi_toegepast", ""),
            mvi=_mvi_cell(cells.get("mvi", "")),
            realised_percent=cells.get("realisatie_procent"),
        )
        return clean_record(data, known)

    cleaned = spreadsheets.clean_rows(rows, clean, HEADERS)
    seen = {values["reference"] for values in cleaned}
    existing = {
        record.reference: record
        for record in db.session.scalars(
            select(MonitorRecord).where(
                MonitorRecord.organisation_id == organisation.id,
                MonitorRecord.reference.in_(list(seen)),
            )
        )
    }
    created = updated = 0
    tenders = _unclaimed_tenders(organisation)
    for values in cleaned:
        record = existing.get(values["reference"])
        if record is None:
            record = MonitorRecord(
                organisation=organisation, created_by_id=getattr(actor, "id", None)
            )
            db.session.add(record)
            created += 1
        else:
            updated += 1
        _apply(record, values, actor, tenders)
    db.session.flush()
    return UploadResult(created=created, updated=updated)


# --- Promotion ---------------------------------------------------------------------------------


@authorized_by(can_promote_monitor_record)
def promote_record(record: MonitorRecord, *, actor: Actor) -> Tender:
    """Make a draft example tender of record (its fields carried over) and link the two."""
    fields: dict[str, Any] = {
        "cpv_codes": record.cpv_code,
        "procedure": record.procedure.slug if record.procedure else None,
        "award_method": record.award_method.slug if record.award_method else None,
        "value_min": record.value_min,
        "value_max": record.value_max,
        "tender_reference": record.reference,
        "mvi": [
            {
                "theme": row.theme.slug,
                "instrument": row.instrument.slug if row.instrument else None,
                "ambition_level": row.ambition_level.slug if row.ambition_level else None,
            }
            for row in record.mvi_rows
        ],
    }
    data = ItemData(
        title=record.title,
        year=record.year,
        status="draft",
        themes=list(dict.fromkeys(row.theme.slug for row in record.mvi_rows)),
        product_groups=[record.product_group.slug] if record.product_group else [],
        fields=fields,
    )
    tender = create_item(record.organisation, kinds()["tender"], data, actor=actor)
    record.tender_id = tender.id
    record.updated_by_id = getattr(actor, "id", None)
    record.updated_at = utcnow()
    db.session.flush()
    return tender  # type: ignore[return-value]


# --- Demo data ------------------------------------------------------------------------------------


@authorized_by(can_edit_monitor_records)
def load_demo_records(
    organisation: Organisation,
    records: list[RecordData],
    *,
    actor: Actor,
    known: dict | None = None,
) -> int:
    """Add generated demo records, each validated like a form or upload row, in two bulk inserts;
    an organisation that has demo records already gets none (the seed runs again and again).

    Return how many were added."""
    has_demo = db.session.scalar(
        select(MonitorRecord.id)
        .where(MonitorRecord.organisation_id == organisation.id, MonitorRecord.demo.is_(True))
        .limit(1)
    )
    if has_demo is not None or not records:
        return 0
    known = {} if known is None else known
    cleaned = [clean_record(data, known) for data in records]
    references = [values["reference"] for values in cleaned]
    # The organisation's references, not an IN list: that has a parameter per reference.
    taken = set(
        db.session.scalars(
            select(MonitorRecord.reference).where(MonitorRecord.organisation_id == organisation.id)
        )
    )
    if len(set(references)) != len(references) or taken.intersection(references):
        raise ServiceError(_("Er is al een registratie met deze referentie."), field="reference")
    now = utcnow()
    # Core inserts (not the ORM's bulk path, several times slower here); the ids come back by
    # reference, which is unique per organisation.
    db.session.execute(
        insert(MonitorRecord.__table__),
        [
            {
                "organisation_id": organisation.id,
                "reference": values["reference"],
                "title": values["title"],
                "year": values["year"],
                "value_min": values["value_min"],
                "value_max": values["value_max"],
                "product_group_id": values["product_group"].id if values["product_group"] else None,
                "cpv_code": values["cpv_code"],
                "procedure_id": values["procedure"].id if values["procedure"] else None,
                "award_method_id": values["award_method"].id if values["award_method"] else None,
                "mvi_applied": values["mvi_applied"],
                "realised_percent": values["realised_percent"],
                "demo": True,
                "created_at": now,
                "updated_at": now,
            }
            for values in cleaned
        ],
    )
    id_of = dict(
        db.session.execute(
            select(MonitorRecord.reference, MonitorRecord.id).where(
                MonitorRecord.organisation_id == organisation.id, MonitorRecord.demo.is_(True)
            )
        ).all()
    )
    ids = [id_of[values["reference"]] for values in cleaned]
    mvi_rows = [
        {
            "record_id": record_id,
            "theme_id": theme.id,
            "instrument_id": instrument.id if instrument else None,
            "ambition_level_id": level.id if level else None,
        }
        for record_id, values in zip(ids, cleaned, strict=True)
        for theme, instrument, level in values["mvi_rows"]
    ]
    if mvi_rows:
        db.session.execute(insert(MonitorRecordMvi.__table__), mvi_rows)
    return len(ids)
