"""The schema comes only from migrations/, and the models never drift from it."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.extensions import db
from portal.outbox import models as _outbox_models  # noqa: F401
from portal.search.models import include_object


def _diff():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        return compare_metadata(context, db.metadata)


# The PostgreSQL engine's GIN index is an expression index (migration 0004), which reflection skips.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index"
)


def test_models_match_migrations():
    assert _diff() == []


def test_migrations_downgrade_to_base_and_back(app):
    downgrade(revision="base")
    with db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert _diff() == []
