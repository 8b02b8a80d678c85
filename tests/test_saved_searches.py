"""Saved searches with alerts: save and delete both ways, alerts once, hidden items never mailed."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.permissions import PermissionDenied
from portal.search.models import SavedSearch
from portal.search.saved import delete_saved_search, save_search, send_alerts
from tests.factories import make_item, make_user


def test_save_from_the_results_page_and_see_new_matches(client, world, as_user):
    as_user(world.outsider)
    response = client.post(
        "/zoeken/bewaren", data={"zoekopdracht": "q=asfalt&soort=tender&pagina=3"}
    )
    assert response.status_code == 302
    saved = db.session.scalar(select(SavedSearch))
    assert (
        saved.name == "asfalt"
        and "pagina" not in saved.query_string
        and "soort=tender" in saved.query_string
    )
    make_item("tender", world.utrecht, title="Nieuw asfaltbestek")
    page = client.get("/account").get_data(as_text=True)
    assert "Bewaarde zoekopdrachten" in page and "1 nieuw" in page


def test_saving_needs_a_verified_member_and_a_query(world):
    unverified = make_user("nieuw@heumen.nl", verified=False)
    with pytest.raises(PermissionDenied):
        save_search("q=asfalt", "", actor=unverified)
    from portal.common import ServiceError

    with pytest.raises(ServiceError, match="niets om te bewaren"):
        save_search("soort=tender", "", actor=world.outsider)


def test_only_the_owner_deletes(world):
    saved = save_search("q=asfalt", "Asfalt", actor=world.outsider)
    with pytest.raises(PermissionDenied):
        delete_saved_search(saved, actor=world.utrecht_admin)
    delete_saved_search(saved, actor=world.outsider)
    db.session.commit()
    assert db.session.query(SavedSearch).count() == 0


def test_alerts_are_sent_once_and_never_show_hidden_items(world, mailbox):
    saved = save_search("q=asfalt", "Asfalt", actor=world.outsider)
    saved.alerted_until = saved.alerted_until - timedelta(minutes=1)
    db.session.commit()
    make_item("tender", world.utrecht, title="Openbaar asfaltbestek")
    make_item(
        "lesson",
        world.heumen,
        title="Groepsles asfalt",
        visibility="group",
        group="kleine-gemeenten-samen",
    )
    assert send_alerts() == (1, 1)
    db.session.commit()
    [mail] = [m for m in mailbox.messages() if "To: buiten@example.org" in m]
    assert "Openbaar asfaltbestek" in mail and "Groepsles" not in mail
    assert send_alerts() == (0, 1)  # a second run sends nothing
    db.session.commit()
    assert len([m for m in mailbox.messages() if "To: buiten@example.org" in m]) == 1


def test_cli_alerts_command(app, world):
    result = app.test_cli_runner().invoke(args=["search", "alerts"])
    assert result.exit_code == 0 and "0 mails" in result.output
