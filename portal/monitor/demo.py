"""Demo monitor records (2019-2026) made from the demo organisations' own facts.

Deterministic: each organisation's records come from a random generator seeded with its slug, so
every seed run (and every machine) makes the same records. The figures are invented; they follow
the shape of the sources (PIANOo's MVI-ZET: MVI in 61 % of some 2,000 tenders of 89 organisations,
social return 41 %, MKB-vriendelijk 29 %): larger and more experienced buyers apply MVI more often,
uptake grows over the years, and small municipalities register dozens of tenders, large
organisations a few hundred."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select

from portal.content.models import Item, item_product_groups
from portal.extensions import db
from portal.monitor.services import RecordData
from portal.organisations.models import Organisation
from portal.taxonomy.models import ProductGroup

FIRST_DEMO_YEAR = 2019
LAST_DEMO_YEAR = 2026


@dataclass(frozen=True)
class Profile:
    """How many tenders a year and how often with MVI, by organisation type and size."""

    per_year: int
    mvi_share: float  # in the middle year; uptake grows over the years
    large_values: bool


PROFILES = {
    ("gemeente", "tot-20000"): Profile(5, 0.36, False),
    ("gemeente", "20000-50000"): Profile(8, 0.44, False),
    ("gemeente", "50000-100000"): Profile(14, 0.52, False),
    ("gemeente", "meer-dan-100000"): Profile(30, 0.60, True),
    ("provincie", None): Profile(25, 0.62, True),
    ("waterschap", None): Profile(12, 0.56, True),
    ("rijksoverheid", None): Profile(40, 0.66, True),
    ("uitvoeringsorganisatie", None): Profile(15, 0.52, True),
    ("overig", None): Profile(6, 0.42, False),
}
DEFAULT_PROFILE = Profile(8, 0.50, False)
# Of the tenders with MVI, how often each theme (social return ~41/61, MKB-vriendelijk ~29/61).
THEME_CHANCES = {
    "social-return": 0.67,
    "mkb-vriendelijk": 0.48,
    "circulair": 0.35,
    "klimaat": 0.33,
    "milieu": 0.25,
    "ketenverantwoordelijkheid": 0.14,
    "diversiteit-inclusie": 0.10,
    "innovatie": 0.08,
}
INSTRUMENTS = (("voorschrijven", 55), ("aanmoedigen", 35), ("uitnodigen", 10))
AMBITIONS = (("basis", 50), ("significant", 35), ("ambitieus", 15))
AWARD_METHODS = (("bpkv", 60), ("laagste-prijs", 30), ("laagste-kosten", 10))
# Value ranges in euros, with weights for small and large buyers.
VALUE_RANGES = (
    ((10_000, 50_000), 30, 10),
    ((50_000, 100_000), 25, 12),
    ((100_000, 250_000), 20, 18),
    ((250_000, 500_000), 12, 20),
    ((500_000, 1_000_000), 8, 18),
    ((1_000_000, 5_000_000), 4, 15),
    ((5_000_000, 20_000_000), 1, 7),
)


# Demo organisations whose monitor figures everyone sees (the rest keep the default: members
# only), so a visitor of the demo finds public figures and action plans with their progress.
PUBLIC_DEMO_MONITORS = frozenset(
    {"gemeente-rotterdam", "gemeente-oldenzaal", "gemeente-losser", "provincie-gelderland",
     "waterschap-vechtstromen"}
)  # fmt: skip


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def _procedure(low: int) -> str:
    if low < 50_000:
        return "enkelvoudig-onderhandse-procedure"
    if low < 250_000:
        return "meervoudig-onderhandse-procedure"
    if low < 1_000_000:
        return "nationale-openbare-procedure"
    return "openbare-procedure"


def profile_of(organisation: Organisation) -> Profile:
    size = organisation.size_class.slug if organisation.size_class else None
    return PROFILES.get((organisation.type.slug, size), PROFILES.get(
        (organisation.type.slug, None), DEFAULT_PROFILE
    ))  # fmt: skip


def demo_records(organisation: Organisation) -> list[RecordData]:
    """The organisation's demo records, the same on every run."""
    rng = random.Random(f"mvi-monitor-demo:{organisation.slug}")  # noqa: S311 (demo data)
    profile = profile_of(organisation)
    groups = list(db.session.scalars(select(ProductGroup).order_by(ProductGroup.position)))
    # The product groups of its own example tenders come up more often: its real practice.
    own = set(
        db.session.scalars(
            select(item_product_groups.c.product_group_id)
            .join(Item, Item.id == item_product_groups.c.item_id)
            .where(Item.organisation_id == organisation.id)
        )
    )
    group_weights = [6 if g.id in own else 1 for g in groups]
    # Organisations with a signed MVI manifest apply it a little more often.
    lean = rng.uniform(-0.08, 0.08) + (0.05 if organisation.manifest_year else 0.0)
    middle = (FIRST_DEMO_YEAR + LAST_DEMO_YEAR) / 2
    records = []
    for year in range(FIRST_DEMO_YEAR, LAST_DEMO_YEAR + 1):
        # 2026 is not over yet: fewer tenders so far.
        count = round(profile.per_year * rng.uniform(0.75, 1.25) * (0.6 if year == 2026 else 1))
        share = min(0.95, max(0.05, profile.mvi_share + lean + 0.025 * (year - middle)))
        for n in range(1, count + 1):
            group = rng.choices(groups, weights=group_weights)[0] if groups else None
            ranges = [
                (r, large if profile.large_values else small) for r, small, large in VALUE_RANGES
            ]
            low, high = _pick(rng, ranges)
            mvi_rows = []
            if rng.random() < share:
                themes = [t for t, chance in THEME_CHANCES.items() if rng.random() < chance]
                for theme in themes or [rng.choice(list(THEME_CHANCES))]:
                    mvi_rows.append(
                        {
                            "theme": theme,
                            "instrument": _pick(rng, INSTRUMENTS),
                            "ambition_level": _pick(rng, AMBITIONS),
                        }
                    )
            realised = None
            if mvi_rows and year <= 2024 and rng.random() < 0.7:
                realised = rng.choice((40, 50, 60, 70, 75, 80, 90, 100))
            name = group.name if group else "Inkoop"
            records.append(
                RecordData(
                    reference=f"DEMO-{year}-{n:03d}",
                    title=f"{name} {year}",
                    year=year,
                    value_min=low,
                    value_max=high,
                    product_group=group.slug if group else None,
                    cpv_code=group.cpv_list[0] if group and group.cpv_list else "",
                    procedure=_procedure(low),
                    award_method=_pick(rng, AWARD_METHODS),
                    mvi_applied=bool(mvi_rows),
                    mvi=mvi_rows,
                    realised_percent=realised,
                )
            )
    return records
