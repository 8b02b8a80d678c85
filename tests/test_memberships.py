"""One membership workflow (portal/memberships/) for organisations and working groups: the same
steps, rules and refusals on both sides, each with its own wording."""

from __future__ import annotations

import pytest

from portal.common import ServiceError
from portal.extensions import db
from portal.groups import services as groups
from portal.organisations import services as organisations
from portal.permissions import PermissionDenied
from tests.conftest import login
from tests.factories import make_user

SIDES = {
    "organisation": (lambda w: w.heumen, organisations.request_membership,
                     organisations.decide_membership, organisations.set_member_role,
                     organisations.leave_organisation, "organisatie"),
    "group": (lambda w: w.closed_group, groups.join_group, groups.decide_group_membership,
              groups.set_group_role, groups.leave_group, "werkgroep"),
}  # fmt: skip


@pytest.mark.parametrize("side", SIDES)
def test_ask_approve_and_keep_the_last_admin_on_both_sides(world, mailbox, side):
    container_of, ask, decide, set_role, leave, word = SIDES[side]
    container = container_of(world)
    newcomer = make_user("nieuw@heumen.nl")
    membership = ask(container, actor=newcomer)
    db.session.commit()
    assert membership.status == "pending" and membership.container is container
    assert any("To: beheer@heumen.nl" in m for m in mailbox.messages())  # the admin is asked

    with pytest.raises(PermissionDenied):  # denied: someone who does not run it
        decide(membership, approve=True, actor=world.outsider)
    decide(membership, approve=True, actor=world.heumen_admin)  # allowed: its admin
    db.session.commit()
    assert membership.is_approved and any("To: nieuw@heumen.nl" in m for m in mailbox.messages())
    with pytest.raises(ServiceError) as twice:
        decide(membership, approve=True, actor=world.heumen_admin)
    assert twice.value.status == 409

    admin = next(m for m in container.memberships if m.user_id == world.heumen_admin.id)
    with pytest.raises(ServiceError) as last:
        set_role(admin, "member", actor=world.heumen_admin)
    assert last.value.status == 409 and word in str(last.value)
    with pytest.raises(ServiceError):
        leave(admin, actor=world.heumen_admin)
    set_role(membership, "admin", actor=world.heumen_admin)
    leave(admin, actor=world.heumen_admin)  # now another admin stays
    db.session.commit()
    assert [m.user_id for m in container.memberships if m.role == "admin"] == [newcomer.id]


@pytest.mark.parametrize("side", SIDES)
def test_a_refused_request_is_gone_and_the_person_is_told(world, mailbox, side):
    container_of, ask, decide, _set_role, _leave, _word = SIDES[side]
    container = container_of(world)
    newcomer = make_user("afgewezen@example.org")
    membership = ask(container, actor=newcomer)
    decide(membership, approve=False, actor=world.heumen_admin)
    db.session.commit()
    assert all(m.user_id != newcomer.id for m in container.memberships)
    assert "niet goedgekeurd" in mailbox.messages()[-1]


PAGES = {"organisation": "/organisaties/gemeente-heumen",
         "group": "/werkgroepen/kleine-gemeenten-samen"}  # fmt: skip


@pytest.mark.parametrize("side", SIDES)
def test_one_members_page_and_its_buttons_on_both_sides(world, app, side):
    """The shared members page: its admin approves, changes a role and removes; a member of
    the other side's container is a 404 here, an unknown role a Dutch refusal, a stranger a 403."""
    container_of, ask, *_ = SIDES[side]
    path = PAGES[side]
    container = container_of(world)
    newcomer = make_user("pagina@heumen.nl", name="Pim Pagina")
    membership = ask(container, actor=newcomer)
    db.session.commit()

    client = app.test_client()
    assert login(client, world.outsider.email).status_code == 302
    assert client.get(f"{path}/leden").status_code == 403  # denied: not its admin
    assert client.post(f"{path}/leden/{membership.id}/goedkeuren").status_code == 403
    assert not membership.is_approved

    client = app.test_client()
    assert login(client, world.heumen_admin.email).status_code == 302
    page = client.get(f"{path}/leden").get_data(as_text=True)
    assert "Leden van" in page and "Pim Pagina" in page and "Goedkeuren" in page
    assert ("pagina@heumen.nl" in page) == (side == "organisation")  # addresses for org admins
    # A membership of another organisation or group of the same side is not found here.
    elsewhere = (world.utrecht if side == "organisation" else world.open_group).memberships[0]
    assert client.post(f"{path}/leden/{elsewhere.id}/verwijderen").status_code == 404
    assert client.post(f"{path}/leden/999999/verwijderen").status_code == 404

    approved = client.post(f"{path}/leden/{membership.id}/goedkeuren", follow_redirects=True)
    assert approved.status_code == 200 and membership.is_approved
    refused = client.post(
        f"{path}/leden/{membership.id}/rol", data={"role": "koning"}, follow_redirects=True
    )
    assert "Onbekende rol." in refused.get_data(as_text=True) and membership.role == "member"
    client.post(f"{path}/leden/{membership.id}/rol", data={"role": "admin"})
    assert membership.role == "admin"
    client.post(f"{path}/leden/{membership.id}/verwijderen")
    db.session.expire_all()
    assert newcomer.id not in [m.user_id for m in container_of(world).memberships]
