"""spelling vocabulary: the words "Bedoelde u …?" offers, built by the worker, not by a search

Revision ID: 0024_spelling_vocabulary
Revises: 0023_search_lexemes
Create Date: 2026-12-07 05:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_spelling_vocabulary"
down_revision = "0023_search_lexemes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "spelling_vocabulary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=120), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spelling_vocabulary")),
    )
    op.create_table(
        "spelling_withdrawn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.Text(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spelling_withdrawn")),
    )


def downgrade():
    op.drop_table("spelling_withdrawn")
    op.drop_table("spelling_vocabulary")
