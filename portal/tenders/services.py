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
    markdown,
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


def _blank(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def _rows(rows: Any, group: str, row_label: str, plural: str, most: int, clean) -> list[dict]:
    """Clean the filled rows of a repeating group; rows left or made empty are not kept.

    A problem names the field in its row ('mvi-1-note'), or else the row ('MVI-rij 2: ...').
    More than `most` filled rows is refused: a row is never dropped without the user knowing."""
    if rows in (None, ""):
        rows = []
    if not isinstance(rows, list):
        raise ServiceError(_("Geef %(rows)s als een lijst van rijen.", rows=plural), field=group)
    cleaned = []
    for index, row in enumerate(rows):
        if isinstance(row, dict) and all(_blank(value) for value in row.values()):
            continue
        try:
            if not isinstance(row, dict):
                raise ServiceError(_("Deze rij heeft geen geldige vorm."))
            cleaned.append(clean(row))
        except ServiceError as error:
            if error.field:  # the form shows it at the field, in its row ('mvi-1-note')
                raise ServiceError(
                    error.message, field=f"{group}-{index}-{error.field}", status=error.status
                ) from error
            raise ServiceError(
                _("%(row)s %(n)d: %(message)s", row=row_label, n=index + 1, message=error.message),
                field=group,
                status=error.status,
            ) from error
    if len(cleaned) > most:
        raise ServiceError(
            _(
                "Vul hoogstens %(n)d %(rows)s in; nu zijn het er %(count)d. Maak de rijen leeg die weg mogen.",
                n=most,
                rows=plural,
                count=len(cleaned),
            ),
            field=group,
        )
    return cleaned


def _line(row: dict, name: str, label: str, limit: int, required: bool = False) -> str:
    """A row's one-line text; line breaks become spaces, as a text input cannot show them."""
    value = row.get(name)
    if isinstance(value, str):
        value = re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", value)
    return text({name: value}, name, label, limit, required=required)


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
        "note": _line(row, "note", _("de toelichting"), 1000),
    }


def _bid(row: dict) -> dict:
    return {
        "bidder": _line(row, "bidder", _("de inschrijver"), 100, required=True),
        "price_eur": whole_number(row, "price_eur", _("de prijs"), high=MAX_VALUE),
        "quality_score": whole_number(row, "quality_score", _("de kwaliteitsscore"), high=10000),
        "mki_eur": whole_number(row, "mki_eur", _("de MKI-waarde"), high=MAX_VALUE),
        "winner": bool(row.get("winner")),
    }


def _contract_result(row: dict) -> dict:
    promised = _line(row, "promised", _("de toezegging"), 500)
    realised = _line(row, "realised", _("het resultaat"), 500)
    if not promised and not realised:
        raise ServiceError(
            _("Vul in wat er is toegezegd of wat er is gerealiseerd."), field="promised"
        )
    return {"promised": promised, "realised": realised}


def apply_fields(item: Tender, fields: dict[str, Any]) -> None:
    """Validate a tender's own fields and write them onto item (ServiceError on the first problem)."""
    codes = fields.get("cpv_codes") or ""
    item.cpv_codes = clean_cpv_codes(" ".join(codes) if isinstance(codes, list) else str(codes))
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
    item.mvi = _rows(fields.get("mvi"), "mvi", _("MVI-rij"), _("MVI-rijen"), MAX_MVI_ROWS, _mvi_row)
    item.ambition_levels = " ".join(
        sorted({row["ambition_level"] for row in item.mvi if row["ambition_level"]})
    )
    item.instruments = " ".join(
        sorted({row["instrument"] for row in item.mvi if row["instrument"]})
    )
    item.number_of_bids = whole_number(
        fields, "number_of_bids", _("het aantal inschrijvingen"), high=1000
    )
    item.bids = _rows(
        fields.get("bids"), "bids", _("Inschrijving"), _("inschrijvingen"), MAX_BIDS, _bid
    )
    item.results_md, item.results_html = markdown(fields, "results", _("de resultaten"))
    item.contract_results = _rows(
        fields.get("contract_results"), "contract_results", _("Contractresultaat"),
        _("contractresultaten"), MAX_CONTRACT_RESULTS, _contract_result,
    )  # fmt: skip
    _keep_monitor_figures(item)
    item.contact_name = text(fields, "contact_name", _("de contactpersoon"), 120)
    item.contact_email = text(fields, "contact_email", _("het e-mailadres"), 254).lower()


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
