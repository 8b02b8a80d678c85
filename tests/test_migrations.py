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


def test_items_hidden_by_the_old_archiving_become_hidden(app, world):
    from sqlalchemy import select, update

    from portal.content.models import Item
    from portal.moderation.models import ModerationLog
    from tests.factories import make_item

    hidden = make_item("tender", world.utrecht, title="Door een moderator gearchiveerd")
    archived = make_item("tender", world.utrecht, title="Door de auteur gearchiveerd")
    restored = make_item(
        "tender", world.utrecht, title="Verborgen en teruggezet, later gearchiveerd"
    )
    db.session.execute(
        update(Item)
        .where(Item.id.in_([hidden.id, archived.id, restored.id]))
        .values(status="archived")
    )
    for item, action in ((hidden, "hide"), (restored, "hide"), (restored, "restore")):
        db.session.add(ModerationLog(moderator_name="Mo", action=action, item_id=item.id,
                                     subject=item.title, note="Persoonsgegevens"))  # fmt: skip
    db.session.commit()
    downgrade(revision="0012")
    upgrade()
    db.session.expire_all()
    rows = {
        i.id: (i.status, i.hidden_at is not None, i.hidden_reason)
        for i in db.session.scalars(select(Item))
    }
    assert rows[hidden.id] == ("published", True, "Persoonsgegevens")
    assert rows[archived.id] == ("archived", False, "")
    assert rows[restored.id] == ("archived", False, "")
