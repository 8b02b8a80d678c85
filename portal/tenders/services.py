"""Tender fields: validated from a form or an import line onto a Tender."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from portal.common import ServiceError, clean_url
from portal.content.validation import choice, iso_date, markdown, term, text, whole_number
from portal.taxonomy.models import AmbitionLevel, AwardMethod, Instrument, Procedure, Theme
from portal.taxonomy.services import clean_cpv_codes
from portal.tenders.models import TENDER_STATUSES, Tender

MAX_VALUE = 50_000_000_000  # EUR; larger is a typing error, not a tender


def _mvi_rows(rows: Any) -> list[dict]:
    cleaned = []
    for row in rows or []:
        if not isinstance(row, dict) or not any(
            row.get(k) for k in ("theme", "instrument", "note")
        ):
            continue
        theme = term(row, "theme", Theme, _("thema"))
        instrument = term(row, "instrument", Instrument, _("instrument"))
        level = term(row, "ambition_level", AmbitionLevel, _("ambitieniveau"))
        cleaned.append(
            {
                "theme": theme.slug if theme else None,
                "instrument": instrument.slug if instrument else None,
                "ambition_level": level.slug if level else None,
                "weight_percent": whole_number(row, "weight_percent", _("het gewicht"), high=100),
                "fictive_discount_eur": whole_number(
                    row, "fictive_discount_eur", _("de fictieve korting"), high=MAX_VALUE
                ),
                "note": text(row, "note", _("de toelichting"), 1000),
            }
        )
    return cleaned[:12]


def _bids(rows: Any) -> list[dict]:
    cleaned = []
    for row in rows or []:
        if not isinstance(row, dict) or not row.get("bidder"):
            continue
        cleaned.append(
            {
                "bidder": text(row, "bidder", _("de inschrijver"), 100),
                "price_eur": whole_number(row, "price_eur", _("de prijs"), high=MAX_VALUE),
                "quality_score": whole_number(
                    row, "quality_score", _("de kwaliteitsscore"), high=10000
                ),
                "mki_eur": whole_number(row, "mki_eur", _("de MKI-waarde"), high=MAX_VALUE),
                "winner": bool(row.get("winner")),
            }
        )
    return cleaned[:30]


def _contract_results(rows: Any) -> list[dict]:
    return [
        {
            "promised": text(row, "promised", _("de toezegging"), 500),
            "realised": text(row, "realised", _("het resultaat"), 500),
        }
        for row in rows or []
        if isinstance(row, dict) and (row.get("promised") or row.get("realised"))
    ][:20]


def apply_fields(item: Tender, fields: dict[str, Any]) -> None:
    """Validate a tender's own fields and write them onto item (ServiceError on the first problem)."""
    codes = fields.get("cpv_codes") or ""
    item.cpv_codes = clean_cpv_codes(" ".join(codes) if isinstance(codes, list) else str(codes))
    item.procedure = term(fields, "procedure", Procedure, _("procedure"))
    item.award_method = term(fields, "award_method", AwardMethod, _("gunningsmethode"))
    low = whole_number(fields, "value_min", _("de geraamde waarde (vanaf)"), high=MAX_VALUE)
    high = whole_number(fields, "value_max", _("de geraamde waarde (tot)"), high=MAX_VALUE)
    if low is not None and high is None:
        high = low
    if high is not None and low is None:
        low = high
    if low is not None and high is not None and high < low:
        raise ServiceError(
            _("De bovengrens van de waarde is lager dan de ondergrens."), field="value_max"
        )
    item.value_min, item.value_max = low, high
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
    item.mvi = _mvi_rows(fields.get("mvi"))
    item.ambition_levels = " ".join(
        sorted({row["ambition_level"] for row in item.mvi if row["ambition_level"]})
    )
    item.instruments = " ".join(
        sorted({row["instrument"] for row in item.mvi if row["instrument"]})
    )
    item.number_of_bids = whole_number(
        fields, "number_of_bids", _("het aantal inschrijvingen"), high=1000
    )
    item.bids = _bids(fields.get("bids"))
    item.results_md, item.results_html = markdown(fields, "results", _("de resultaten"))
    item.contract_results = _contract_results(fields.get("contract_results"))
    item.contact_name = text(fields, "contact_name", _("de contactpersoon"), 120)
    item.contact_email = text(fields, "contact_email", _("het e-mailadres"), 254).lower()
