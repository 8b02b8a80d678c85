"""The schema comes only from migrations/, and the models never drift from it."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.extensions import db


def _diff():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_models_match_migrations():
    assert _diff() == []


def test_migrations_downgrade_to_base_and_back(app):
    downgrade(revision="base")
    with db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert _diff() == []
