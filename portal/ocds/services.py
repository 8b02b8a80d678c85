"""Import OCDS releases (a release or a release package, as TenderNed publishes them) as draft
tenders, through the tender kind's services: the MVI story is left to the buyer.

Releases are grouped by ocid and merged in date order (planning, tender, award and contract
stages). Each contracting process is saved in its own savepoint: a bad one is refused with a Dutch
reason that names it and leaves nothing behind, the others go on. A tender keeps its ocid, so a
re-import updates it; an unchanged re-import writes nothing (no revision). The caller commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from portal.common import ServiceError
from portal.content import services as content_services
from portal.content.kinds import kinds
from portal.extensions import db
from portal.ocds.queries import AWARD_CRITERIA, DAYS_PER_MONTH
from portal.organisations.models import Organisation
from portal.permissions import (
    Actor,
    PermissionDenied,
    authorized_by,
    can_create_item,
    can_edit_item,
    can_import_ocds,
    can_view_item,
)
from portal.taxonomy.models import AwardMethod, Procedure
from portal.tenders.models import Tender

MAX_RELEASES = 1000
MAX_NUMBER = (
    10**15
)  # far above any figure a tender holds; bounds arithmetic on a stranger's numbers
SUMMARY_LIMIT = 600  # a longer tender description becomes the body

# From OCDS's closed procurementMethod codelist back to a procedure, when the release does not
# name one of the portal's procedures in procurementMethodDetails.
PROCEDURE_FOR_METHOD = {
    "open": "openbare-procedure",
    "selective": "niet-openbare-procedure",
    "limited": "meervoudig-onderhandse-procedure",
    "direct": "enkelvoudig-onderhandse-procedure",
}
AWARD_METHOD_FOR_CRITERIA = {
    **{criteria: slug for slug, criteria in AWARD_CRITERIA.items()},
    "lowestCost": "laagste-kosten",
    "qualityOnly": "bpkv",
    "bestProposal": "bpkv",
    "bestValueToGovernment": "bpkv",
}


@dataclass
class ImportSummary:
    """What an import did, per contracting process: (ocid, title, slug) made, updated or
    unchanged, and (name, reason, status) refused."""

    created: list[tuple[str, str, str]] = field(default_factory=list)
    updated: list[tuple[str, str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str, str]] = field(default_factory=list)
    refused: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def status(self) -> int:
        """200 when something was read; else the status of the first refusal."""
        if self.refused and not (self.created or self.updated or self.unchanged):
            return self.refused[0][2]
        return 200

    def line(self) -> str:
        return _(
            "%(created)d aangemaakt, %(updated)d bijgewerkt, %(unchanged)d ongewijzigd, "
            "%(refused)d geweigerd",
            created=len(self.created),
            updated=len(self.updated),
            unchanged=len(self.unchanged),
            refused=len(self.refused),
        )


class _UnchangedError(Exception):
    """Raised to roll back a re-import that changed nothing."""


# --- reading the file ----------------------------------------------------------------------


def _read_releases(content: bytes) -> list[Any]:
    """The releases in an OCDS file (one release, or a release package); ServiceError (with
    the status to answer) when the file as a whole is not one."""
    limit = current_app.config["OCDS_MAX_UPLOAD_BYTES"]
    if len(content) > limit:
        raise ServiceError(
            _(
                "Het bestand is te groot: hoogstens %(mb)d MB.",
                mb=limit // (1024 * 1024) or 1,
            ),
            status=413,
        )
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ServiceError(
            _("Het bestand is geen JSON: het is geen UTF-8-tekst."), status=400
        ) from None
    except (json.JSONDecodeError, RecursionError) as error:
        where = (
            _(" (regel %(line)d, kolom %(column)d)", line=error.lineno, column=error.colno)
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise ServiceError(_("Het bestand is geen geldige JSON%(where)s.", where=where)) from None
    if not isinstance(data, dict):
        raise ServiceError(_("Het bestand is geen OCDS: verwacht een JSON-object."))
    if "records" in data:
        raise ServiceError(
            _(
                "Dit is een OCDS record package; het portaal leest releases. Upload een release "
                "of een release package."
            )
        )
    if "releases" in data:
        releases = data["releases"]
        if not isinstance(releases, list):
            raise ServiceError(_("In het release package moet 'releases' een lijst zijn."))
        if not releases:
            raise ServiceError(_("Het release package bevat geen releases."))
        if len(releases) > MAX_RELEASES:
            raise ServiceError(
                _("Hoogstens %(n)d releases per bestand.", n=MAX_RELEASES), status=413
            )
        return releases
    if "ocid" in data or "tender" in data or "tag" in data:
        return [data]
    raise ServiceError(
        _(
            "Het bestand is geen OCDS: er staat geen release (met 'ocid') en geen release "
            "package (met 'releases') in."
        )
    )


# --- merging the stages of one contracting process ------------------------------------------


def _merge(into: dict, release: dict) -> None:
    """Merge release into into, as OCDS merges releases: objects field by field, arrays of
    objects with an id by id, other arrays whole; null removes a field."""
    for key, value in release.items():
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif (
            isinstance(value, list)
            and isinstance(into.get(key), list)
            and value
            and all(isinstance(v, dict) and "id" in v for v in value)
            and all(isinstance(v, dict) and "id" in v for v in into[key])
        ):
            by_id = {str(v["id"]): v for v in into[key]}
            for entry in value:
                held = by_id.get(str(entry["id"]))
                if held is None:
                    into[key].append(json.loads(json.dumps(entry)))
                    by_id[str(entry["id"])] = into[key][-1]
                else:
                    _merge(held, entry)
        else:
            into[key] = json.loads(json.dumps(value))


def _merged(releases: list[dict]) -> dict:
    """The releases of one ocid merged oldest first (a release's date orders it)."""
    moments = []
    for release in releases:
        if not isinstance(release.get("date"), str) or not release["date"]:
            raise ServiceError(_("Een release heeft geen datum ('date'), nodig om te ordenen."))
        moments.append(_moment(release["date"]))
    result: dict = {}
    # By the moment, not the text: "09:30:00Z" is later than "10:00:00+01:00".
    for _when, release in sorted(zip(moments, releases, strict=True), key=lambda pair: pair[0]):
        _merge(result, release)
    return result


def _moment(value: str) -> datetime:
    """A release's date as a moment in UTC (a date or a moment without offset counts as UTC)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ServiceError(
            _("'%(path)s' moet een datum zijn (zoals 2024-03-01T00:00:00Z).", path="date")
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- reading values with Dutch refusals ----------------------------------------------------


def _get(data: Any, path: str) -> Any:
    value, parts = data, path.split(".")
    for depth, part in enumerate(parts):
        if value is None:
            return None
        if not isinstance(value, dict):
            where = ".".join(parts[:depth])
            raise ServiceError(_("'%(path)s' moet een JSON-object zijn.", path=where))
        value = value.get(part)
    return value


def _object(data: Any, path: str) -> dict:
    value = _get(data, path)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ServiceError(_("'%(path)s' moet een JSON-object zijn.", path=path))
    return value


def _list(data: Any, path: str) -> list:
    value = _get(data, path)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ServiceError(_("'%(path)s' moet een lijst zijn.", path=path))
    return value


def _text(data: Any, path: str) -> str | None:
    value = _get(data, path)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ServiceError(_("'%(path)s' moet een tekst zijn.", path=path))
    return value.strip() or None


def _number(data: Any, path: str) -> int | None:
    value = _get(data, path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ServiceError(_("'%(path)s' moet een getal zijn.", path=path))
    if value != value or value in (float("inf"), float("-inf")):
        raise ServiceError(_("'%(path)s' moet een getal zijn.", path=path))
    if abs(value) > MAX_NUMBER:
        raise ServiceError(_("'%(path)s' is te groot.", path=path))
    return round(value)


def _date(data: Any, path: str) -> str | None:
    value = _text(data, path)
    if value is None:
        return None
    try:  # a date, or a moment whose own (local) date counts; nothing else after it
        moment = date.fromisoformat(value) if len(value) <= 10 else datetime.fromisoformat(value)
        return date(moment.year, moment.month, moment.day).isoformat()
    except ValueError:
        raise ServiceError(
            _("'%(path)s' moet een datum zijn (zoals 2024-03-01T00:00:00Z).", path=path)
        ) from None


def _euros(data: Any, path: str) -> int | None:
    value = _object(data, path)
    if not value:
        return None
    currency = _text(data, f"{path}.currency")
    if currency not in (None, "EUR"):
        raise ServiceError(
            _(
                "'%(path)s' is in %(currency)s; het portaal rekent in euro's.",
                path=f"{path}.currency",
                currency=currency[:10],
            )
        )
    amount = _number(data, f"{path}.amount")
    if amount is not None and amount < 0:
        raise ServiceError(_("'%(path)s' mag niet negatief zijn.", path=f"{path}.amount"))
    return amount


def _normal(name: str) -> str:
    return " ".join(name.casefold().split())


# --- from a merged release to a tender's fields ---------------------------------------------


def _parties(release: dict) -> dict[str, dict]:
    found = {}
    for number, party in enumerate(_list(release, "parties"), start=1):
        if not isinstance(party, dict):
            raise ServiceError(_("'parties' moet een lijst van JSON-objecten zijn."))
        party_id = party.get("id")
        if party_id is not None:
            found[str(party_id)] = party
        else:
            found[f"#{number}"] = party
    return found


def _buyer_organisation(
    release: dict, given: Organisation | None, known: Organisation | None = None
) -> Organisation:
    """The organisation of the release's buyer: by exact name (case and spaces aside) of the
    buyer, its party or its registered legal name; never guessed. A release that names no buyer
    is for given, else for known (the owner of the tender it updates)."""
    buyer = _object(release, "buyer") or _object(release, "tender.procuringEntity")
    party = _parties(release).get(str(buyer.get("id"))) if buyer.get("id") is not None else None
    names = [
        name
        for name in (
            _text(buyer, "name"),
            _text(party, "name") if party else None,
            _text(party, "identifier.legalName") if party else None,
        )
        if name
    ]
    if not names:
        if given is not None or known is not None:
            return given or known
        raise ServiceError(_("De release noemt geen koper ('buyer' met een naam)."))
    wanted = {_normal(name) for name in names}
    found = [
        organisation
        for organisation in db.session.scalars(select(Organisation).order_by(Organisation.id))
        if _normal(organisation.name) in wanted
    ]
    if given is not None:
        if found and given not in found:
            raise ServiceError(
                _(
                    "De koper '%(buyer)s' is een andere organisatie dan %(organisation)s.",
                    buyer=names[0][:120],
                    organisation=given.name,
                ),
                status=403,
            )
        return given
    if not found:
        raise ServiceError(
            _(
                "Onbekende koper '%(buyer)s': er is geen organisatie in het portaal met die naam.",
                buyer=names[0][:120],
            )
        )
    return found[0]


def _term_by_name(model: type, name: str | None):
    if not name:
        return None
    wanted = _normal(name)
    for term in db.session.scalars(select(model)):
        if wanted in (_normal(term.name), _normal(term.name_en or ""), term.slug):
            return term
    return None


def _procedure(release: dict) -> str | None:
    found = _term_by_name(Procedure, _text(release, "tender.procurementMethodDetails"))
    if found is None:
        method = _text(release, "tender.procurementMethod")
        slug = PROCEDURE_FOR_METHOD.get(method or "")
        found = db.session.scalar(select(Procedure).where(Procedure.slug == slug)) if slug else None
    return found.slug if found else None


def _award_method(release: dict) -> str | None:
    found = _term_by_name(AwardMethod, _text(release, "tender.awardCriteriaDetails"))
    if found is None:
        slug = AWARD_METHOD_FOR_CRITERIA.get(_text(release, "tender.awardCriteria") or "")
        found = (
            db.session.scalar(select(AwardMethod).where(AwardMethod.slug == slug)) if slug else None
        )
    return found.slug if found else None


def _cpv_codes(release: dict) -> list[str]:
    codes = []
    for number, item in enumerate(_list(release, "tender.items"), start=1):
        if not isinstance(item, dict):
            raise ServiceError(_("'tender.items' moet een lijst van JSON-objecten zijn."))
        where = f"tender.items[{number}]"
        classifications = [
            _object(item, "classification"),
            *_list(item, "additionalClassifications"),
        ]
        for classification in classifications:
            if not classification:
                continue
            if not isinstance(classification, dict):
                raise ServiceError(_("'%(path)s' moet een JSON-object zijn.", path=where))
            scheme = _text(classification, "scheme") or ""
            code = classification.get("id")
            if scheme.upper() == "CPV" and code is not None:
                if not isinstance(code, str | int) or isinstance(code, bool):
                    raise ServiceError(
                        _("'%(path)s' moet een tekst zijn.", path=f"{where}.classification.id")
                    )
                codes.append(str(code).strip())
    return list(dict.fromkeys(codes))


def _bids(release: dict) -> list[dict]:
    parties = _parties(release)
    winners: set[str] = set()
    suppliers: set[str] = set()
    for award in _list(release, "awards"):
        if not isinstance(award, dict):
            raise ServiceError(_("'awards' moet een lijst van JSON-objecten zijn."))
        if award.get("status") in ("cancelled", "unsuccessful"):
            continue
        related = [award.get("relatedBid"), *(_list(award, "relatedBids"))]
        winners.update(str(bid) for bid in related if bid is not None)
        suppliers.update(str(s.get("id")) for s in _list(award, "suppliers") if isinstance(s, dict))
    bids = []
    for number, bid in enumerate(_list(release, "bids.details"), start=1):
        if not isinstance(bid, dict):
            raise ServiceError(_("'bids.details' moet een lijst van JSON-objecten zijn."))
        where = f"bids.details[{number}]"
        tenderers = _list(bid, "tenderers")
        first = tenderers[0] if tenderers and isinstance(tenderers[0], dict) else {}
        party = parties.get(str(first.get("id"))) or {}
        bidder = _text(first, "name") or _text(party, "name")
        if not bidder:
            raise ServiceError(
                _("'%(path)s' noemt geen inschrijver met een naam.", path=f"{where}.tenderers")
            )
        try:
            bids.append(
                {
                    "bidder": bidder,
                    "price_eur": _euros(bid, "value"),
                    "quality_score": _number(bid, "qualityScore"),
                    "mki_eur": _euros(bid, "environmentalCostIndicator"),
                    "winner": bool(bid.get("isWinner"))
                    or str(bid.get("id")) in winners
                    or (not winners and str(first.get("id")) in suppliers),
                }
            )
        except ServiceError as error:
            raise ServiceError(f"{where}: {error.message}", status=error.status) from None
    return bids


def _number_of_bids(release: dict, bids: list[dict]) -> int | None:
    count = _number(release, "tender.numberOfTenderers")
    if count is not None:
        return count
    for statistic in _list(release, "bids.statistics"):
        if (
            isinstance(statistic, dict)
            and statistic.get("measure") == "bids"
            and statistic.get("relatedLot") in (None, "")
        ):
            return _number(statistic, "value")
    return len(bids) if bids else None


def _tender_status(release: dict) -> str | None:
    contracts = [c for c in _list(release, "contracts") if isinstance(c, dict)]
    if any(c.get("status") == "terminated" for c in contracts):
        return "afgerond"
    awards = [a for a in _list(release, "awards") if isinstance(a, dict)]
    if contracts or any(a.get("status") in (None, "active") for a in awards):
        return "gegund"
    status = _text(release, "tender.status")
    if status == "complete":
        return "gegund"
    if status == "active":
        return "gepubliceerd"
    if status in ("planning", "planned") or (not status and _get(release, "planning")):
        return "in-voorbereiding"
    return None


def _award_date(release: dict) -> str | None:
    dates = [
        _date(award, "date")
        for award in _list(release, "awards")
        if isinstance(award, dict) and award.get("status") not in ("cancelled", "unsuccessful")
    ]
    dates = [d for d in dates if d]
    return min(dates) if dates else None


def _duration_months(release: dict) -> int | None:
    periods = [_object(release, "tender.contractPeriod")] + [
        _object(award, "contractPeriod")
        for award in _list(release, "awards")
        if isinstance(award, dict)
    ]
    for period in periods:
        days = _number(period, "durationInDays")
        if days is None and period.get("startDate") and period.get("endDate"):
            start, end = _date(period, "startDate"), _date(period, "endDate")
            days = (date.fromisoformat(end) - date.fromisoformat(start)).days
        if days is not None:
            return max(1, round(days / DAYS_PER_MONTH)) if days > 0 else None
    return None


def _tender_values(release: dict) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the shared item values, the tender's own fields) that the release gives; a key is left
    out when the release says nothing about it, so a re-import keeps what is there (a later
    stage's release often repeats only the ocid and its own part)."""
    tender = _object(release, "tender")
    title = _text(release, "tender.title") or _text(release, "planning.budget.description")
    shared: dict[str, Any] = {"title": title} if title else {}
    description = _text(release, "tender.description")
    if description:
        shared["summary" if len(description) <= SUMMARY_LIMIT else "body"] = description
    publication = _date(release, "tender.tenderPeriod.startDate") or _date(
        release, "tender.datePublished"
    )
    bids = _bids(release)
    fields: dict[str, Any] = {
        "cpv_codes": _cpv_codes(release) or None,
        "procedure": _procedure(release),
        "award_method": _award_method(release),
        "value_max": _euros(release, "tender.value"),
        "value_min": _euros(release, "tender.minValue"),
        "publication_date": publication,
        "award_date": _award_date(release),
        "duration_months": _duration_months(release),
        "number_of_bids": _number_of_bids(release, bids),
        "bids": bids or None,
        "tender_status": _tender_status(release),
        "tender_reference": _text(release, "tender.id")
        if isinstance(tender.get("id"), str)
        else None,
    }
    if fields["value_max"] is not None and fields["value_min"] is None:
        fields["value_min"] = fields["value_max"]
    if publication:
        shared["year"] = int(publication[:4])
    return shared, {k: v for k, v in fields.items() if v is not None}


# --- saving ---------------------------------------------------------------------------------


def _own_tender(ocid: str) -> Tender | None:
    """A tender of this portal named by an ocid it exported (prefix and external id)."""
    prefix = f"{current_app.config['OCDS_OCID_PREFIX']}-"
    if not ocid.startswith(prefix):
        return None
    return db.session.scalar(select(Tender).where(Tender.external_id == ocid[len(prefix) :]))


def _existing(ocid: str) -> Tender | None:
    return db.session.scalar(select(Tender).where(Tender.ocid == ocid)) or _own_tender(ocid)


def _data_of(tender: Tender) -> content_services.ItemData:
    """The tender's values as they stand, to change only what a release gives."""
    shot = content_services.snapshot(tender)
    return content_services.ItemData(
        title=shot["title"],
        summary=shot["summary"],
        body=shot["body"],
        themes=shot["themes"],
        product_groups=shot["product_groups"],
        tags=shot["tags"],
        year=shot["year"],
        status=shot["status"],
        visibility=shot["visibility"],
        group=shot["group"],
        co_owners=list(tender.co_owners),
        reviewed_at=shot["reviewed_at"],
        fields=dict(shot["fields"]),
    )


def _import_process(
    ocid: str, release: dict, given: Organisation | None, actor: Actor, summary: ImportSummary
) -> None:
    shared, fields = _tender_values(release)
    existing = _existing(ocid)
    organisation = _buyer_organisation(
        release, given, existing.organisation if existing is not None else None
    )
    spec = kinds()["tender"]
    if existing is None:
        if "title" not in shared:
            raise ServiceError(_("De release heeft geen titel ('tender.title')."))
        if not can_create_item(actor, organisation):
            raise ServiceError(
                _(
                    "U mag geen aanbestedingen toevoegen voor %(organisation)s.",
                    organisation=organisation.name,
                ),
                status=403,
            )
        data = content_services.ItemData(
            title=shared["title"],
            summary=shared.get("summary", ""),
            body=shared.get("body", ""),
            year=shared.get("year") or _year_of(release),
            status="draft",
            fields={**fields, "ocid": ocid},
        )
        tender = content_services.create_item(organisation, spec, data, actor=actor)
        summary.created.append((ocid, tender.title, tender.slug))
        return
    if not can_view_item(actor, existing):  # its title and owner must not leak
        raise ServiceError(
            _("Een andere aanbesteding heeft deze ocid al; u mag haar niet bewerken."),
            status=403,
        )
    if not can_edit_item(actor, existing):
        raise ServiceError(
            _("U mag de aanbesteding '%(title)s' niet bewerken.", title=existing.title[:120]),
            status=403,
        )
    if organisation not in existing.owners:
        raise ServiceError(
            _(
                "De aanbesteding met deze ocid hoort bij %(owner)s, niet bij %(buyer)s.",
                owner=existing.organisation.name,
                buyer=organisation.name,
            ),
            status=403,
        )
    data = _data_of(existing)
    for key in ("title", "summary", "body", "year"):
        if key in shared:
            setattr(data, key, shared[key])
    if fields.get("tender_reference") == existing.external_id:
        del fields["tender_reference"]  # this portal's own export names the tender by it
    data.fields.update(fields)
    if content_services.update_item(existing, data, actor=actor):
        summary.updated.append((ocid, existing.title, existing.slug))
    else:
        raise _UnchangedError((ocid, existing.title, existing.slug))


def _year_of(release: dict) -> int | None:
    """The year of the release's own date, for a new tender without a publication date."""
    moment = _date(release, "date")
    return int(moment[:4]) if moment else None


def _name(number: int, release: Any) -> str:
    if isinstance(release, dict) and isinstance(release.get("ocid"), str) and release["ocid"]:
        return release["ocid"][:100]
    return _("release %(n)d", n=number)


@authorized_by(can_import_ocds)
def import_ocds(
    content: bytes,
    *,
    actor: Actor,
    organisation: Organisation | None = None,
    filename: str | None = None,
) -> ImportSummary:
    """Import an OCDS release or release package: one savepoint per contracting process."""
    if filename is not None and not filename.lower().endswith(".json"):
        raise ServiceError(_("Kies een JSON-bestand (.json) met OCDS-releases."), status=415)
    summary = ImportSummary()
    processes: dict[str, list[dict]] = {}
    for number, release in enumerate(_read_releases(content), start=1):
        if not isinstance(release, dict):
            summary.refused.append(
                (_name(number, release), _("Een release moet een JSON-object zijn."), 400)
            )
            continue
        ocid = release.get("ocid")
        if not isinstance(ocid, str) or not ocid.strip():
            summary.refused.append((_name(number, release), _("De release heeft geen ocid."), 400))
            continue
        processes.setdefault(ocid.strip(), []).append(release)
    for ocid, releases in processes.items():
        savepoint = db.session.begin_nested()
        try:
            _import_process(ocid, _merged(releases), organisation, actor, summary)
            savepoint.commit()
        except _UnchangedError as unchanged:
            savepoint.rollback()
            summary.unchanged.append(unchanged.args[0])
        except ServiceError as error:
            savepoint.rollback()
            where = f" ({error.field})" if error.field else ""
            summary.refused.append((ocid[:100], f"{error.message}{where}", error.status))
        except PermissionDenied:
            savepoint.rollback()
            summary.refused.append(
                (ocid[:100], _("U heeft geen toestemming om deze aanbesteding op te slaan."), 403)
            )
        except (IntegrityError, DataError) as error:
            savepoint.rollback()
            reason = str(error.orig).splitlines()[0][:200]
            summary.refused.append(
                (
                    ocid[:100],
                    _("De database weigert deze release (%(reason)s).", reason=reason),
                    400,
                )
            )
    return summary
