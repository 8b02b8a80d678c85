"""Tenders as OCDS 1.1.5 releases and release packages (read only; the mapping table is in the
README, section "OCDS: export and import")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from portal.common import as_utc, slugify, utcnow
from portal.content.queries import readable_by
from portal.tenders.models import Tender

OCDS_VERSION = "1.1"
CURRENCY = "EUR"
DAYS_PER_MONTH = 365.25 / 12

# The extensions the releases use, by the URL of their extension.json (the same commits as the
# schema copies in portal/ocds/extensions/, which the tests patch into the core schema).
_RAW = "https://raw.githubusercontent.com/open-contracting-extensions"
EXTENSIONS = {
    "ocds_bid_extension": f"{_RAW}/ocds_bid_extension/a2ac4799333ba68e5ca8d7255fb45673f4204e40/extension.json",
    "ocds_lots_extension": f"{_RAW}/ocds_lots_extension/574eec032d7396a55cfcfd89080c2754f1c1b378/extension.json",
    "ocds_awardCriteriaBreakdown_extension": f"{_RAW}/ocds_awardCriteriaBreakdown_extension/23753f46d5093aba3295ab97cc72c84072eb325e/extension.json",
}

# The portal's procedures (taxonomy slugs) on OCDS's closed procurementMethod codelist; the
# procedure's own name goes in procurementMethodDetails.
PROCUREMENT_METHODS = {
    "openbare-procedure": "open",
    "nationale-openbare-procedure": "open",
    "prijsvraag": "open",
    "procedure-voor-sociale-en-andere-specifieke-diensten": "open",
    "niet-openbare-procedure": "selective",
    "nationale-niet-openbare-procedure": "selective",
    "mededingingsprocedure-met-onderhandeling": "selective",
    "concurrentiegerichte-dialoog": "selective",
    "innovatiepartnerschap": "selective",
    "dynamisch-aankoopsysteem": "selective",
    "raamovereenkomst-met-minicompetitie": "selective",
    "meervoudig-onderhandse-procedure": "limited",
    "onderhandelingsprocedure-zonder-voorafgaande-aankondiging": "limited",
    "enkelvoudig-onderhandse-procedure": "direct",
}
# The award methods on OCDS 1.1's awardCriteria codelist.
AWARD_CRITERIA = {
    "bpkv": "ratedCriteria",
    "laagste-kosten": "costOnly",
    "laagste-prijs": "priceOnly",
}
# The tender's status as OCDS tender status; "afgerond" adds a closed contract to its award.
TENDER_STATUSES = {
    "in-voorbereiding": "planned",
    "gepubliceerd": "active",
    "gegund": "complete",
    "afgerond": "complete",
}


def ocid_of(tender: Tender) -> str:
    """The tender's ocid: the one it was imported with, else the portal's prefix and its
    external id (stable across title edits, exports and backups)."""
    return tender.ocid or f"{current_app.config['OCDS_OCID_PREFIX']}-{tender.external_id}"


def _moment(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"{value.isoformat()}T00:00:00Z"


def _money(amount: int | None) -> dict | None:
    return None if amount is None else {"amount": amount, "currency": CURRENCY}


def _prune(value: Any) -> Any:
    """Leave out empty values (OCDS: a field without a value is omitted, not null)."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if v not in (None, "", [], {})]
    return value


def _buyer(tender: Tender) -> dict:
    organisation = tender.organisation
    party = {
        "id": f"mvi-organisatie-{organisation.slug}",
        "name": organisation.name,
        "identifier": {
            "legalName": organisation.name,
            "uri": url_for("organisations.show", slug=organisation.slug, _external=True),
        },
        "address": {"countryName": "Nederland"},
        "roles": ["buyer", "procuringEntity"],
        "contactPoint": {
            "name": tender.contact_name,
            "email": tender.contact_email,
            "url": organisation.website,
        },
    }
    return party


def _tenderer_id(name: str) -> str:
    return f"inschrijver-{slugify(name, 80) or 'onbekend'}"


def _bids(tender: Tender) -> tuple[list[dict], list[dict]]:
    """The bids (ocds_bid_extension) and their tenderers as parties."""
    details, parties = [], {}
    for number, bid in enumerate(tender.bids, start=1):
        reference = {"id": _tenderer_id(bid["bidder"]), "name": bid["bidder"]}
        party = parties.setdefault(reference["id"], {**reference, "roles": ["tenderer"]})
        if bid.get("winner") and "supplier" not in party["roles"]:
            party["roles"].append("supplier")
        details.append(
            {
                "id": f"bod-{number}",
                "status": "valid",
                "tenderers": [reference],
                "value": _money(bid.get("price_eur")),
                # Not in the bid extension: the portal's own figures, named after what they are.
                "qualityScore": bid.get("quality_score"),
                "environmentalCostIndicator": _money(bid.get("mki_eur")),
                "isWinner": bool(bid.get("winner")),
            }
        )
    return details, list(parties.values())


def _award_criteria(tender: Tender, names: dict | None) -> dict:
    """The MVI rows as award criteria (ocds_awardCriteriaBreakdown_extension) of the one lot."""
    criteria = []
    for row, shown in zip(tender.mvi, tender.mvi_display(names), strict=True):
        numbers = []
        if row.get("weight_percent") is not None:
            numbers.append({"number": row["weight_percent"], "weight": "percentageExact"})
        name = " · ".join(part for part in (shown["theme"], shown["instrument"]) if part)
        criteria.append(
            {
                "type": "quality",
                "name": name or row.get("note"),
                "description": row.get("note"),
                "numbers": numbers,
                # Not in the extension: the MVI vocabulary of the portal (slugs) and the
                # fictitious discount in euros, named after what they are.
                "mviTheme": row.get("theme"),
                "mviInstrument": row.get("instrument"),
                "mviAmbitionLevel": row.get("ambition_level"),
                "fictitiousDiscount": _money(row.get("fictive_discount_eur")),
            }
        )
    return {"criteria": criteria}


def release(tender: Tender, names: dict | None = None) -> dict:
    """The tender as one OCDS release (with the bid, lots and award-criteria extensions); names:
    tenders.models.mvi_term_names(), read once for a package of many."""
    ocid = ocid_of(tender)
    bids, tenderers = _bids(tender)
    buyer = _buyer(tender)
    winners = [bid for bid in bids if bid["isWinner"]]
    # A completed tender was awarded, even when its award is not filled in: its closed
    # contract needs an award to name (and tells an importer it is "afgerond", not "gegund").
    awarded = bool(winners) or tender.award_date is not None or tender.tender_status == "afgerond"
    procedure = tender.procedure
    award_method = tender.award_method
    duration = (
        {"durationInDays": round(tender.duration_months * DAYS_PER_MONTH)}
        if tender.duration_months
        else None
    )
    cpv = tender.cpv_list
    awards, contracts = [], []
    if awarded:
        awards.append(
            {
                "id": "gunning-1",
                "status": "active",
                "date": _moment(tender.award_date),
                "suppliers": [ref for bid in winners for ref in bid["tenderers"]],
                "value": winners[0]["value"] if len(winners) == 1 else None,
                "relatedBid": winners[0]["id"] if len(winners) == 1 else None,
                "relatedLots": ["perceel-1"],
            }
        )
        if tender.tender_status == "afgerond":
            contracts.append({"id": "contract-1", "awardID": "gunning-1", "status": "terminated"})
    tags = ["planning"] if tender.tender_status == "in-voorbereiding" else ["tender"]
    if awards:
        tags.append("award")
    if contracts:
        tags.append("contract")
    data = {
        "ocid": ocid,
        "id": f"{ocid}-{as_utc(tender.updated_at):%Y%m%dT%H%M%SZ}",
        "date": _moment(tender.updated_at),
        "tag": tags,
        "initiationType": "tender",
        "language": "nl",
        "parties": [buyer, *tenderers],
        "buyer": {"id": buyer["id"], "name": buyer["name"]},
        "tender": {
            "id": tender.tender_reference or tender.external_id,
            "title": tender.title,
            "description": tender.summary,
            "status": TENDER_STATUSES.get(tender.tender_status),
            "procuringEntity": {"id": buyer["id"], "name": buyer["name"]},
            "items": [
                {
                    "id": "1",
                    "description": tender.title,
                    "classification": {"scheme": "CPV", "id": cpv[0]},
                    "additionalClassifications": [{"scheme": "CPV", "id": c} for c in cpv[1:]],
                    "relatedLot": "perceel-1",
                }
            ]
            if cpv
            else [],
            "value": _money(tender.value_max),
            "minValue": _money(tender.value_min),
            "procurementMethod": PROCUREMENT_METHODS.get(procedure.slug) if procedure else None,
            "procurementMethodDetails": procedure.name if procedure else None,
            "awardCriteria": AWARD_CRITERIA.get(award_method.slug) if award_method else None,
            "awardCriteriaDetails": award_method.name if award_method else None,
            "tenderPeriod": {"startDate": _moment(tender.publication_date)},
            "contractPeriod": duration,
            "numberOfTenderers": tender.number_of_bids,
            "tenderers": [{"id": p["id"], "name": p["name"]} for p in tenderers],
            "lots": [
                {
                    "id": "perceel-1",
                    "title": tender.title,
                    "status": TENDER_STATUSES.get(tender.tender_status),
                    "value": _money(tender.value_max),
                    "awardCriteria": _award_criteria(tender, names),
                }
            ],
            "documents": [
                {
                    "id": "voorbeeld",
                    "documentType": "tenderNotice",
                    "title": tender.title,
                    "url": url_for("content.show", spec="tender", slug=tender.slug, _external=True),
                    "language": "nl",
                },
                *(
                    [
                        {
                            "id": "aankondiging",
                            "documentType": "tenderNotice",
                            "url": tender.tender_url,
                        }
                    ]
                    if tender.tender_url
                    else []
                ),
            ],
        },
        "bids": {
            "statistics": [{"id": "1", "measure": "bids", "value": tender.number_of_bids}]
            if tender.number_of_bids is not None
            else [],
            "details": bids,
        },
        "awards": awards,
        "contracts": contracts,
    }
    return _prune(data)


def readable_tenders(user) -> Select:
    """The tenders user may open that are published or archived, oldest first (stable pages)."""
    return (
        select(Tender)
        .where(*readable_by(user))
        .options(
            selectinload(Tender.organisation),
            selectinload(Tender.procedure),
            selectinload(Tender.award_method),
        )
        .order_by(Tender.id)
    )


def release_package(releases: list[dict], uri: str, links: dict[str, str] | None = None) -> dict:
    """A release package of releases, published now, with the extensions they use."""
    package = {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": _moment(utcnow()),
        "publisher": {
            "name": "MVI-kennisportaal",
            "uri": url_for("main.home", _external=True),
        },
        "extensions": list(EXTENSIONS.values()),
        "releases": releases,
    }
    if links:
        package["links"] = links
    return package
