"""The demo tender calendar (seeds/planning.yaml), loaded through the services as demo rows."""

from __future__ import annotations

from pathlib import Path

import yaml

from portal.planning.services import PlanData

SEED_FILE = Path(__file__).resolve().parent.parent.parent / "seeds" / "planning.yaml"


def demo_plans() -> dict[str, list[PlanData]]:
    """Organisation slug -> its demo planned tenders."""
    entries = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))["planned_tenders"]
    plans: dict[str, list[PlanData]] = {}
    for slug, rows in entries.items():
        plans[slug] = []
        for row in rows:
            year, quarter = str(row["quarter"]).split("-")
            low, high = row.get("value") or (None, None)
            plans[slug].append(
                PlanData(
                    reference=row["ref"],
                    title=row["title"],
                    product_group=row["group"],
                    year=year,
                    quarter=quarter,
                    value_min=low,
                    value_max=high,
                    themes=row.get("themes", []),
                    contact_role=row.get("role", ""),
                    contract_start=str(row["start"]) if row.get("start") else None,
                    visibility=row.get("visibility", "public"),
                )
            )
    return plans
