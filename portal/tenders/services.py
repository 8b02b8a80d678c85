"""Tender fields: validated from a form or an import line onto a Tender."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.common import ServiceError, clean_url
from portal.content.validation import (
    choice,
    iso_date,
    line,
    markdown,
    repeating_rows,
    term,
    text,
    value_range,
    whole_number,
)
from portal.extensions import db
from portal.taxonomy.models import AmbitionLevel, AwardMethod, Instrument, Procedure, Theme
from portal.taxonomy.services import clean_cpv_codes
from portal.tenders.models import (
    MAX_BIDS,
    MAX_CONTRACT_RESULTS,
    MAX_MVI_ROWS,
    TENDER_STATUSES,
    Tender,
    TenderMviRow,
)

MAX_VALUE = 50_000_000_000  # EUR; larger is a typing error, not a tender


def _mvi_row(row: dict) -> dict:
    if not any(row.get(k) for k in ("theme", "instrument", "note")):
        raise ServiceError(
            _("Kies een thema of een instrument, of vul een toelichting in."), field="theme"
        )
    theme = term(row, "theme", Theme, _("thema"))
    instrument = term(row, "instrument", Instrument, _("instrument"))
    level = term(row, "ambition_level", AmbitionLevel, _("ambitieniveau"))
    return {
        "theme": theme.slug if theme else None,
        "instrument": instrument.slug if instrument else None,
        "ambition_level": level.slug if level else None,
        "weight_percent": whole_number(row, "weight_percent", _("het gewicht"), high=100),
        "fictive_discount_eur": whole_number(
            row, "fictive_discount_eur", _("de fictieve korting"), high=MAX_VALUE
        ),
        "note": line(row, "note", _("de toelichting"), 1000),
    }


def _bid(row: dict) -> dict:
    return {
        "bidder": line(row, "bidder", _("de inschrijver"), 100, required=True),
        "price_eur": whole_number(row, "price_eur", _("de prijs"), high=MAX_VALUE),
        "quality_score": whole_number(row, "quality_score", _("de kwaliteitsscore"), high=10000),
        "mki_eur": whole_number(row, "mki_eur", _("de MKI-waarde"), high=MAX_VALUE),
        "winner": bool(row.get("winner")),
    }


def _contract_result(row: dict) -> dict:
    promised = line(row, "promised", _("de toezegging"), 500)
    realised = line(row, "realised", _("het resultaat"), 500)
    if not promised and not realised:
        raise ServiceError(
            _("Vul in wat er is toegezegd of wat er is gerealiseerd."), field="promised"
        )
    return {"promised": promised, "realised": realised}


def apply_fields(item: Tender, fields: dict[str, Any]) -> None:
    """Validate a tender's own fields and write them onto item (ServiceError on the first problem)."""
    codes = fields.get("cpv_codes") or ""
    item.cpv_codes = clean_cpv_codes(
        " ".join(map(str, codes)) if isinstance(codes, list) else str(codes)
    )
    item.procedure = term(fields, "procedure", Procedure, _("procedure"))
    item.award_method = term(fields, "award_method", AwardMethod, _("gunningsmethode"))
    item.value_min, item.value_max = value_range(
        fields, _("de geraamde waarde (vanaf)"), _("de geraamde waarde (tot)"), high=MAX_VALUE
    )
    item.duration_months = whole_number(
        fields, "duration_months", _("de looptijd in maanden"), high=600
    )
    item.publication_date = iso_date(fields, "publication_date", _("de publicatiedatum"))
    item.award_date = iso_date(fields, "award_date", _("de gunningsdatum"))
    item.tender_reference = text(fields, "tender_reference", _("het kenmerk"), 100)
    item.tender_url = clean_url(fields.get("tender_url"), field="tender_url")
    item.tender_status = choice(
        fields, "tender_status", _("de status van de aanbesteding"), TENDER_STATUSES, "afgerond"
    )
    item.mvi = repeating_rows(
        fields.get("mvi"), "mvi", _("MVI-rij"), _("MVI-rijen"), MAX_MVI_ROWS, _mvi_row
    )
    item.ambition_levels = " ".join(
        sorted({row["ambition_level"] for row in item.mvi if row["ambition_level"]})
    )
    item.instruments = " ".join(
        sorted({row["instrument"] for row in item.mvi if row["instrument"]})
    )
    item.number_of_bids = whole_number(
        fields, "number_of_bids", _("het aantal inschrijvingen"), high=1000
    )
    item.bids = repeating_rows(
        fields.get("bids"), "bids", _("Inschrijving"), _("inschrijvingen"), MAX_BIDS, _bid
    )
    item.results_md, item.results_html = markdown(fields, "results", _("de resultaten"))
    item.contract_results = repeating_rows(
        fields.get("contract_results"), "contract_results", _("Contractresultaat"),
        _("contractresultaten"), MAX_CONTRACT_RESULTS, _contract_result,
    )  # fmt: skip
    _keep_monitor_figures(item)
    item.contact_name = text(fields, "contact_name", _("de contactpersoon"), 120)
    item.contact_email = text(fields, "contact_email", _("het e-mailadres"), 254).lower()
    if "ocid" in fields:  # only an OCDS import or a JSON Lines import names it; forms keep it
        item.ocid = _ocid(item, fields)


# OCDS asks for a registered prefix (ocds-xxxxxx-); publishers differ, so any ocid of
# printable characters without spaces is kept as it is given.
OCID_RE = re.compile(r"[!-~]{1,100}")


def _ocid(item: Tender, fields: dict[str, Any]) -> str | None:
    ocid = fields.get("ocid")
    if ocid in (None, ""):
        return None
    if not isinstance(ocid, str) or not OCID_RE.fullmatch(ocid):
        raise ServiceError(
            _("De ocid moet een tekst van hoogstens 100 tekens zijn, zonder spaties."),
            field="ocid",
        )
    with db.session.no_autoflush:
        other = db.session.scalar(select(Tender.id).where(Tender.ocid == ocid))
    if other is not None and other != item.id:
        raise ServiceError(
            _("Een andere aanbesteding heeft al de ocid '%(ocid)s'.", ocid=ocid), field="ocid"
        )
    return ocid


def _keep_monitor_figures(item: Tender) -> None:
    """Copy what the monitor adds up from the tender's JSON into columns and rows (unchanged
    figures are left as they are, so an unchanged edit writes nothing)."""
    gain = item.mki_gain
    item.mki_gain_eur = gain["eur"] if gain else None
    item.mki_gain_percent = gain["percent"] if gain else None
    item.results_promised = sum(1 for row in item.contract_results if row["promised"])
    item.results_realised = sum(
        1 for row in item.contract_results if row["promised"] and row["realised"]
    )
    ids: dict[tuple[type, str], int] = {}
    for model in (Theme, Instrument, AmbitionLevel):
        ids.update(
            {(model, slug): id_ for id_, slug in db.session.execute(select(model.id, model.slug))}
        )
    wanted = [
        (
            position,
            ids.get((Theme, row["theme"])),
            ids.get((Instrument, row["instrument"])),
            ids.get((AmbitionLevel, row["ambition_level"])),
            row["weight_percent"],
        )
        for position, row in enumerate(item.mvi)
    ]
    held = [
        (r.position, r.theme_id, r.instrument_id, r.ambition_level_id, r.weight_percent)
        for r in item.mvi_rows
    ]
    if held != wanted:
        item.mvi_rows = [
            TenderMviRow(
                position=position,
                theme_id=theme_id,
                instrument_id=instrument_id,
                ambition_level_id=level_id,
                weight_percent=weight,
            )
            for position, theme_id, instrument_id, level_id, weight in wanted
        ]
