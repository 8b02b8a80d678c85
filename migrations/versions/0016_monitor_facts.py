"""monitor facts: a tender's MVI rows as rows, its MKI gain and contract results as columns,
and the organisation's monitor choices (public figures, counted in benchmarks)

Revision ID: 0016_monitor_facts
Revises: 0015
Create Date: 2026-12-06 23:40:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0016_monitor_facts"
down_revision = "0015"
branch_labels = None
depends_on = None


def _loaded(value):
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _mki_gain(bids):
    winners = [b for b in bids if b.get("winner") and b.get("mki_eur")]
    others = [b["mki_eur"] for b in bids if not b.get("winner") and b.get("mki_eur")]
    if len(winners) != 1 or not others:
        return None, None
    average = sum(others) / len(others)
    gain = average - winners[0]["mki_eur"]
    return round(gain), (round(100 * gain / average) if average else 0)


def upgrade():
    op.create_table(
        "tender_mvi_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("instrument_id", sa.Integer(), nullable=True),
        sa.Column("ambition_level_id", sa.Integer(), nullable=True),
        sa.Column("weight_percent", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ambition_level_id"],
            ["ambition_levels.id"],
            name=op.f("fk_tender_mvi_rows_ambition_level_id_ambition_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_tender_mvi_rows_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_mvi_rows_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["themes.id"], name=op.f("fk_tender_mvi_rows_theme_id_themes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_mvi_rows")),
    )
    op.create_index(
        op.f("ix_tender_mvi_rows_tender_id"), "tender_mvi_rows", ["tender_id"], unique=False
    )
    op.create_index(
        op.f("ix_tender_mvi_rows_theme_id"), "tender_mvi_rows", ["theme_id"], unique=False
    )
    op.add_column("tenders", sa.Column("mki_gain_eur", sa.BigInteger(), nullable=True))
    op.add_column("tenders", sa.Column("mki_gain_percent", sa.Integer(), nullable=True))
    for name in ("results_promised", "results_realised"):
        op.add_column(
            "tenders", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )
    op.add_column(
        "organisations",
        sa.Column("monitor_public", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "organisations",
        sa.Column("monitor_benchmark", sa.Boolean(), server_default=sa.true(), nullable=False),
    )

    # The figures of the tenders already written, as tenders/services.py keeps them on save.
    connection = op.get_bind()
    ids = {}
    for table in ("themes", "instruments", "ambition_levels"):
        ids[table] = dict(
            (slug, id_) for id_, slug in connection.execute(sa.text(f"SELECT id, slug FROM {table}"))
        )
    tenders = sa.table(
        "tenders",
        sa.column("id", sa.Integer),
        sa.column("mvi", sa.JSON),
        sa.column("bids", sa.JSON),
        sa.column("contract_results", sa.JSON),
        sa.column("mki_gain_eur", sa.BigInteger),
        sa.column("mki_gain_percent", sa.Integer),
        sa.column("results_promised", sa.Integer),
        sa.column("results_realised", sa.Integer),
    )
    rows = sa.table(
        "tender_mvi_rows",
        sa.column("tender_id", sa.Integer),
        sa.column("position", sa.Integer),
        sa.column("theme_id", sa.Integer),
        sa.column("instrument_id", sa.Integer),
        sa.column("ambition_level_id", sa.Integer),
        sa.column("weight_percent", sa.Integer),
    )
    found = connection.execute(
        sa.select(tenders.c.id, tenders.c.mvi, tenders.c.bids, tenders.c.contract_results)
    ).all()
    new_rows = []
    for tender_id, mvi, bids, results in found:
        mvi, bids, results = _loaded(mvi), _loaded(bids), _loaded(results)
        gain_eur, gain_percent = _mki_gain(bids)
        promised = [r for r in results if r.get("promised")]
        connection.execute(
            tenders.update()
            .where(tenders.c.id == tender_id)
            .values(
                mki_gain_eur=gain_eur,
                mki_gain_percent=gain_percent,
                results_promised=len(promised),
                results_realised=sum(1 for r in promised if r.get("realised")),
            )
        )
        for position, row in enumerate(mvi):
            new_rows.append(
                {
                    "tender_id": tender_id,
                    "position": position,
                    "theme_id": ids["themes"].get(row.get("theme")),
                    "instrument_id": ids["instruments"].get(row.get("instrument")),
                    "ambition_level_id": ids["ambition_levels"].get(row.get("ambition_level")),
                    "weight_percent": row.get("weight_percent"),
                }
            )
    if new_rows:
        connection.execute(rows.insert(), new_rows)


def downgrade():
    op.drop_index(op.f("ix_tender_mvi_rows_theme_id"), table_name="tender_mvi_rows")
    op.drop_index(op.f("ix_tender_mvi_rows_tender_id"), table_name="tender_mvi_rows")
    op.drop_table("tender_mvi_rows")
    for name in ("monitor_benchmark", "monitor_public"):
        op.drop_column("organisations", name)
    for name in ("results_realised", "results_promised", "mki_gain_percent", "mki_gain_eur"):
        op.drop_column("tenders", name)
