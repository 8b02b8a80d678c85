"""search concepts (editable query expansion) and search insights (query events and totals)

Revision ID: 0017_search_concepts
Revises: 0016_monitor_facts
Create Date: 2026-12-06 23:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_search_concepts"
down_revision = "0016_monitor_facts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_concepts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_concepts")),
        sa.UniqueConstraint("name", name=op.f("uq_search_concepts_name")),
    )
    op.create_table(
        "search_concept_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=120), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["search_concepts.id"],
            name=op.f("fk_search_concept_terms_concept_id_search_concepts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_concept_terms")),
        sa.UniqueConstraint(
            "concept_id", "key", name=op.f("uq_search_concept_terms_concept_id_key")
        ),
    )
    with op.batch_alter_table("search_concept_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_concept_terms_concept_id"), ["concept_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_search_concept_terms_key"), ["key"], unique=False)
    op.create_table(
        "search_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_events")),
    )
    with op.batch_alter_table("search_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_events_at"), ["at"], unique=False)
    op.create_table(
        "search_query_totals",
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("without_results", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("query", name=op.f("pk_search_query_totals")),
    )


def downgrade():
    op.drop_table("search_query_totals")
    with op.batch_alter_table("search_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_events_at"))
    op.drop_table("search_events")
    with op.batch_alter_table("search_concept_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_concept_terms_key"))
        batch_op.drop_index(batch_op.f("ix_search_concept_terms_concept_id"))
    op.drop_table("search_concept_terms")
    op.drop_table("search_concepts")
