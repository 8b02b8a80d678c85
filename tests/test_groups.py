"""Working groups: open and closed, join and approve, co-admins."""

from sqlalchemy import select

from portal.extensions import db
from portal.groups.models import GroupMembership, WorkingGroup


def memberships(group, user):
    return db.session.scalars(
        select(GroupMembership).where(
            GroupMembership.group_id == group.id, GroupMembership.user_id == user.id
        )
    ).all()


def test_joining_an_open_group_is_immediate(client, world, as_user):
    as_user(world.outsider)
    response = client.post("/werkgroepen/catering-en-eiwittransitie/aanmelden")
    assert response.status_code == 302
    [membership] = memberships(world.open_group, world.outsider)
    assert membership.status == "approved"


def test_closed_group_shows_outsiders_only_name_description_and_a_request_button(
    client, world, as_user
):
    as_user(world.outsider)
    page = client.get("/werkgroepen/kleine-gemeenten-samen").get_data(as_text=True)
    assert "Kleine gemeenten samen" in page and "Vraag toegang aan" in page
    assert "Femke Willems" not in page


def test_closed_group_needs_approval_by_a_group_admin(client, world, as_user, mailbox):
    as_user(world.outsider)
    client.post("/werkgroepen/kleine-gemeenten-samen/aanmelden")
    [membership] = memberships(world.closed_group, world.outsider)
    assert membership.status == "pending"
    assert "To: beheer@heumen.nl" in mailbox.messages()[-1]
    page = client.get("/werkgroepen/kleine-gemeenten-samen").get_data(as_text=True)
    assert "Femke Willems" not in page and "wacht op goedkeuring" in page
    client.post("/uitloggen")

    as_user(world.utrecht_admin)  # not an admin of this group
    assert client.get("/werkgroepen/kleine-gemeenten-samen/leden").status_code == 403
    assert (
        client.post(
            f"/werkgroepen/kleine-gemeenten-samen/leden/{membership.id}/goedkeuren"
        ).status_code
        == 403
    )
    db.session.refresh(membership)
    assert membership.status == "pending"
    client.post("/uitloggen")

    as_user(world.heumen_admin)
    assert (
        client.post(
            f"/werkgroepen/kleine-gemeenten-samen/leden/{membership.id}/goedkeuren"
        ).status_code
        == 302
    )
    db.session.refresh(membership)
    assert membership.status == "approved"


def test_joining_twice_is_refused(client, world, as_user):
    as_user(world.outsider)
    client.post("/werkgroepen/catering-en-eiwittransitie/aanmelden")
    response = client.post(
        "/werkgroepen/catering-en-eiwittransitie/aanmelden", follow_redirects=True
    )
    assert "U bent al lid van deze werkgroep" in response.get_data(as_text=True)
    assert len(memberships(world.open_group, world.outsider)) == 1


def test_group_admin_appoints_a_co_admin_and_the_last_admin_stays(client, world, as_user):
    as_user(world.outsider)
    client.post("/werkgroepen/catering-en-eiwittransitie/aanmelden")
    client.post("/uitloggen")
    as_user(world.utrecht_admin)
    [membership] = memberships(world.open_group, world.outsider)
    client.post(
        f"/werkgroepen/catering-en-eiwittransitie/leden/{membership.id}/rol", data={"role": "admin"}
    )
    db.session.refresh(membership)
    assert membership.role == "admin"
    [own] = memberships(world.open_group, world.utrecht_admin)
    client.post(
        f"/werkgroepen/catering-en-eiwittransitie/leden/{own.id}/rol", data={"role": "member"}
    )
    db.session.refresh(own)
    assert own.role == "member"  # allowed: another admin remains
    client.post("/uitloggen")
    as_user(world.outsider)
    response = client.post(
        "/werkgroepen/catering-en-eiwittransitie/verlaten", follow_redirects=True
    )
    assert "minstens één beheerder" in response.get_data(as_text=True)


def test_only_moderators_and_admins_start_groups(client, world, as_user):
    as_user(world.utrecht_admin)
    assert client.post("/werkgroepen/nieuw", data={"name": "Mijn groep"}).status_code == 403
    client.post("/uitloggen")
    as_user(world.moderator)
    response = client.post(
        "/werkgroepen/nieuw",
        data={"name": "Circulaire GWW", "description": "Landelijk.", "is_closed": "y"},
    )
    assert response.status_code == 302
    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.slug == "circulaire-gww"))
    assert group.is_closed and group.memberships[0].user_id == world.moderator.id


def test_over_long_group_name_is_refused(client, world, as_user):
    as_user(world.moderator)
    response = client.post("/werkgroepen/nieuw", data={"name": "x" * 151})
    assert response.status_code == 400
    assert db.session.query(WorkingGroup).count() == 2


def test_unknown_group_is_404(client, world):
    assert client.get("/werkgroepen/bestaat-niet").status_code == 404
