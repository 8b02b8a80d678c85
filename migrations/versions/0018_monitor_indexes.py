"""monitor counts: the records counted per organisation and year (and per theme, instrument and
ambition level), kept beside the records for the national overview (portal/monitor/facts.py)

Measured with `make bench-monitor` (100,000 records of 300 organisations, 130,000 MVI rows):
counting the records themselves took /monitor about 0.8 s a page; these tables hold a few
thousand rows instead. Filled here from the records already written.

Revision ID: 0018_monitor_indexes
Revises: 0017_search_concepts
Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_monitor_indexes"
down_revision = "0017_search_concepts"
branch_labels = None
depends_on = None

VALUE = "(r.value_min + r.value_max) / 2"


def upgrade():
    op.create_table(
        "monitor_year_facts",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("tenders", sa.Integer(), nullable=False),
        sa.Column("with_mvi", sa.Integer(), nullable=False),
        sa.Column("valued", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("value_with_mvi", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_monitor_year_facts_organisation_id_organisations"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "year", name=op.f("pk_monitor_year_facts")),
    )  # fmt: skip
    op.create_table(
        "monitor_theme_facts",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("tenders", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_monitor_theme_facts_organisation_id_organisations"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["themes.id"],
            name=op.f("fk_monitor_theme_facts_theme_id_themes"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "year", "theme_id", "kind", "term_id",
            name=op.f("pk_monitor_theme_facts"),
        ),
    )  # fmt: skip
    op.create_index(
        "ix_monitor_theme_facts_kind", "monitor_theme_facts",
        ["kind", "organisation_id", "year", "theme_id", "tenders"],
    )  # fmt: skip
    op.create_table(
        "monitor_national_terms",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("tenders", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["themes.id"],
            name=op.f("fk_monitor_national_terms_theme_id_themes"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "year", "theme_id", "kind", "term_id", name=op.f("pk_monitor_national_terms")
        ),
    )  # fmt: skip
    op.execute(
        "INSERT INTO monitor_year_facts"
        " (organisation_id, year, tenders, with_mvi, valued, value, value_with_mvi)"
        " SELECT r.organisation_id, r.year, count(*),"
        " sum(CASE WHEN r.mvi_applied THEN 1 ELSE 0 END),"
        f" count({VALUE}), coalesce(sum({VALUE}), 0),"
        f" coalesce(sum(CASE WHEN r.mvi_applied THEN {VALUE} ELSE 0 END), 0)"
        " FROM monitor_records r GROUP BY r.organisation_id, r.year"
    )
    for kind, term in (("theme", None), ("instrument", "m.instrument_id"),
                       ("ambition", "m.ambition_level_id")):  # fmt: skip
        op.execute(
            "INSERT INTO monitor_theme_facts"
            " (organisation_id, year, theme_id, kind, term_id, tenders)"
            f" SELECT r.organisation_id, r.year, m.theme_id, '{kind}', {term or 0},"
            " count(DISTINCT m.record_id)"
            " FROM monitor_record_mvi m JOIN monitor_records r ON r.id = m.record_id"
            f" WHERE m.theme_id IS NOT NULL{f' AND {term} IS NOT NULL' if term else ''}"
            f" GROUP BY r.organisation_id, r.year, m.theme_id{f', {term}' if term else ''}"
        )
    op.execute(
        "INSERT INTO monitor_national_terms (year, theme_id, kind, term_id, tenders)"
        " SELECT f.year, f.theme_id, f.kind, f.term_id, sum(f.tenders)"
        " FROM monitor_theme_facts f JOIN organisations o ON o.id = f.organisation_id"
        " WHERE f.kind <> 'theme' AND o.monitor_benchmark"
        " GROUP BY f.year, f.theme_id, f.kind, f.term_id"
    )


def downgrade():
    op.drop_table("monitor_national_terms")
    op.drop_index("ix_monitor_theme_facts_kind", table_name="monitor_theme_facts")
    op.drop_table("monitor_theme_facts")
    op.drop_table("monitor_year_facts")
