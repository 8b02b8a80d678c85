"""English names and descriptions for every vocabulary; a language per member

Revision ID: english_0014
Revises: 0013
Create Date: 2026-12-06 19:00:00

Every vocabulary table gets `name_en` and `description_en` (empty: the Dutch one is shown until an
administrator or the seeds fill them in); `users.language` is the language of a member's pages and
mails, Dutch for everyone who has not chosen.
"""

import sqlalchemy as sa
from alembic import op

revision = "english_0014"
down_revision = "0014"
branch_labels = None
depends_on = None

VOCABULARY_TABLES = (
    "themes", "product_clusters", "product_groups", "procedures", "award_methods", "instruments",
    "ambition_levels", "criterion_kinds", "phases", "job_roles", "organisation_types",
    "size_classes",
)  # fmt: skip


# Plain ADD/DROP COLUMN (SQLite 3.35+ has both): a batch copy of these tables would drop tables
# that other rows refer to, which SQLite's enforced foreign keys refuse.
def upgrade():
    for table in VOCABULARY_TABLES:
        op.add_column(table, sa.Column("name_en", sa.String(150), nullable=False, server_default=""))
        op.add_column(table, sa.Column("description_en", sa.Text(), nullable=False, server_default=""))
    op.add_column("users", sa.Column("language", sa.String(5), nullable=False, server_default="nl"))


def downgrade():
    op.drop_column("users", "language")
    for table in VOCABULARY_TABLES:
        op.drop_column(table, "description_en")
        op.drop_column(table, "name_en")
