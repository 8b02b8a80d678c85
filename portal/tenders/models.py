"""Tender example (aanbesteding): only what differs from every knowledge item."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.models import Item
from portal.extensions import db
from portal.taxonomy.models import (
    AmbitionLevel,
    AwardMethod,
    Instrument,
    Procedure,
    Theme,
    localized,
)

TENDER_STATUSES = ("in-voorbereiding", "gepubliceerd", "gegund", "afgerond")
# The most rows a tender takes per repeating group; more is refused, never cut off.
MAX_MVI_ROWS = 12
MAX_BIDS = 30
MAX_CONTRACT_RESULTS = 20


def mvi_term_names() -> dict[tuple[type, str], str]:
    """(model, slug) -> name in the page's language, of every theme, instrument and ambition
    level: three queries, for any number of tenders' MVI rows."""
    from sqlalchemy import select

    names = {}
    for model in (Theme, Instrument, AmbitionLevel):
        names.update(
            {
                (model, slug): localized(name, name_en)
                for slug, name, name_en in db.session.execute(
                    select(model.slug, model.name, model.name_en)
                )
            }
        )
    return names


class Tender(Item):
    __tablename__ = "tenders"
    __table_args__ = (
        CheckConstraint(
            "tender_status in ('in-voorbereiding', 'gepubliceerd', 'gegund', 'afgerond')",
            name="tender_status",
        ),
        CheckConstraint("value_min IS NULL OR value_min >= 0", name="value_min"),
        CheckConstraint("value_max IS NULL OR value_max >= value_min", name="value_range"),
    )
    __mapper_args__ = {"polymorphic_identity": "tender"}

    id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    cpv_codes: Mapped[str] = mapped_column(String(400), default="")
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"), index=True)
    award_method_id: Mapped[int | None] = mapped_column(ForeignKey("award_methods.id"), index=True)
    value_min: Mapped[int | None] = mapped_column(BigInteger)
    value_max: Mapped[int | None] = mapped_column(BigInteger)
    duration_months: Mapped[int | None] = mapped_column(Integer)
    publication_date: Mapped[date | None] = mapped_column(Date)
    award_date: Mapped[date | None] = mapped_column(Date)
    tender_reference: Mapped[str] = mapped_column(String(100), default="")
    tender_url: Mapped[str] = mapped_column(String(300), default="")
    tender_status: Mapped[str] = mapped_column(String(20), default="afgerond")
    # Per theme: instrument, ambition level, weight or fictieve korting, note.
    mvi: Mapped[list] = mapped_column(JSON, default=list)
    # The ambition levels used in `mvi`, space-separated, so lists can filter on them in SQL.
    ambition_levels: Mapped[str] = mapped_column(String(100), default="")
    # Likewise the instruments used in `mvi`, for the search facet.
    instruments: Mapped[str] = mapped_column(String(200), default="", server_default="")
    number_of_bids: Mapped[int | None] = mapped_column(Integer)
    # Figures the monitor adds up in SQL, kept from the JSON below on every save (tenders/services):
    # the winner's MKI gain over the other bids' average, and the contract results promised and
    # realised.
    mki_gain_eur: Mapped[int | None] = mapped_column(BigInteger)
    mki_gain_percent: Mapped[int | None] = mapped_column(Integer)
    results_promised: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    results_realised: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Per bid: bidder, price_eur, quality_score, mki_eur, winner.
    bids: Mapped[list] = mapped_column(JSON, default=list)
    results_md: Mapped[str] = mapped_column(Text, default="")
    results_html: Mapped[str] = mapped_column(Text, default="")
    # Promised versus realised in the contract phase.
    contract_results: Mapped[list] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # The OCDS contracting process the tender was imported from (portal/ocds), kept so that a
    # re-import updates it; None for tenders made here (their export names them by external_id).
    ocid: Mapped[str | None] = mapped_column(String(100), unique=True)

    procedure: Mapped[Procedure | None] = relationship()
    award_method: Mapped[AwardMethod | None] = relationship()
    mvi_rows: Mapped[list[TenderMviRow]] = relationship(
        cascade="all, delete-orphan", order_by="TenderMviRow.position"
    )

    @property
    def cpv_list(self) -> list[str]:
        return self.cpv_codes.split()

    @property
    def mki_gain(self) -> dict | None:
        """How much lower the winner's MKI is than the average of the other bids (EUR and %)."""
        winners = [b for b in self.bids if b.get("winner") and b.get("mki_eur")]
        others = [b["mki_eur"] for b in self.bids if not b.get("winner") and b.get("mki_eur")]
        if len(winners) != 1 or not others:
            return None
        average = sum(others) / len(others)
        gain = average - winners[0]["mki_eur"]
        return {"eur": round(gain), "percent": round(100 * gain / average) if average else 0}

    def mvi_display(self, names: dict | None = None) -> list[dict]:
        """The MVI rows with the names of their theme, instrument and ambition level (names:
        mvi_term_names(), read once by whoever shows many tenders)."""
        names = mvi_term_names() if names is None else names
        return [
            {
                **row,
                "theme": names.get((Theme, row.get("theme")), ""),
                "instrument": names.get((Instrument, row.get("instrument")), ""),
                "ambition_level": names.get((AmbitionLevel, row.get("ambition_level")), ""),
            }
            for row in self.mvi
        ]

    def kind_fields(self) -> dict:
        return {
            "cpv_codes": self.cpv_list,
            "procedure": self.procedure.slug if self.procedure else None,
            "award_method": self.award_method.slug if self.award_method else None,
            "value_min": self.value_min,
            "value_max": self.value_max,
            "duration_months": self.duration_months,
            "publication_date": self.publication_date.isoformat()
            if self.publication_date
            else None,
            "award_date": self.award_date.isoformat() if self.award_date else None,
            "tender_reference": self.tender_reference,
            "tender_url": self.tender_url,
            "tender_status": self.tender_status,
            "mvi": self.mvi,
            "number_of_bids": self.number_of_bids,
            "bids": self.bids,
            "results": self.results_md,
            "contract_results": self.contract_results,
            "contact_name": self.contact_name,
            "contact_email": self.contact_email,
            "ocid": self.ocid,
        }


class TenderMviRow(db.Model):
    """One MVI row of a tender as columns, so the monitor can count themes, instruments and
    ambition levels in SQL; a copy of `Tender.mvi` kept on every save, never edited itself."""

    __tablename__ = "tender_mvi_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"), index=True)
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instruments.id"))
    ambition_level_id: Mapped[int | None] = mapped_column(ForeignKey("ambition_levels.id"))
    weight_percent: Mapped[int | None] = mapped_column(Integer)
