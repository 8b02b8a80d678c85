"""Organisation pages, editing, membership requests and approval."""

from sqlalchemy import select

from portal.extensions import db
from portal.organisations.models import Membership, Organisation
from tests.factories import make_user


def edit_data(**overrides):
    data = {"name": "Gemeente Utrecht", "type": "gemeente", "size_class": "meer-dan-100000", "email_domains": "utrecht.nl",
            "website": "https://www.utrecht.nl", "description": "MVI in de organisatie belegd.", "manifest_year": "2016"}  # fmt: skip
    data.update(overrides)
    return data


def test_organisation_page_shows_members_only_to_signed_in_members(client, world, as_user):
    page = client.get("/organisaties/gemeente-utrecht").get_data(as_text=True)
    assert "Gemeente Utrecht" in page and "Lotte de Vries" not in page
    as_user(world.outsider)
    page = client.get("/organisaties/gemeente-utrecht").get_data(as_text=True)
    assert "Lotte de Vries" in page and "Sanne Bakker" in page


def test_list_filters_by_type_region_and_size(client, world):
    page = client.get("/organisaties?grootte=tot-20000").get_data(as_text=True)
    assert "Gemeente Heumen" in page and "Gemeente Utrecht" not in page
    page = client.get("/organisaties?regio=regio-arnhem-nijmegen").get_data(as_text=True)
    assert "Gemeente Heumen" in page and "Gemeente Utrecht" not in page
    assert client.get("/organisaties?pagina=abc").status_code == 404


def test_org_admin_edits_the_profile_and_the_slug_stays(client, world, as_user):
    as_user(world.utrecht_admin)
    response = client.post(
        "/organisaties/gemeente-utrecht/bewerken", data=edit_data(name="Gemeente Utrecht (stad)")
    )
    assert response.status_code == 302
    org = db.session.get(Organisation, world.utrecht.id)
    assert (
        org.name == "Gemeente Utrecht (stad)"
        and org.slug == "gemeente-utrecht"
        and org.manifest_year == 2016
    )


def test_site_admin_may_edit_any_organisation(client, world, as_user):
    as_user(world.site_admin)
    assert (
        client.post(
            "/organisaties/gemeente-heumen/bewerken",
            data=edit_data(
                name="Gemeente Heumen", size_class="tot-20000", email_domains="heumen.nl"
            ),
        ).status_code
        == 302
    )


def test_editor_and_other_organisations_admin_may_not_edit(client, world, as_user):
    for user in (world.utrecht_editor, world.heumen_admin):
        as_user(user)
        assert client.get("/organisaties/gemeente-utrecht/bewerken").status_code == 403
        assert (
            client.post(
                "/organisaties/gemeente-utrecht/bewerken", data=edit_data(name="Gekaapt")
            ).status_code
            == 403
        )
        client.post("/uitloggen")
    assert db.session.get(Organisation, world.utrecht.id).name == "Gemeente Utrecht"


def test_bad_organisation_input_is_refused_and_nothing_changes(client, world, as_user):
    as_user(world.utrecht_admin)
    cases = [
        (edit_data(name="x" * 151), "hoogstens 150 tekens", 400),
        (edit_data(email_domains="heumen.nl"), "hoort al bij Gemeente Heumen", 409),
        (edit_data(email_domains="geen domein"), "geen geldig e-maildomein", 400),
        (edit_data(website="javascript:alert(1)"), "https://", 400),
        (edit_data(name="Gemeente Heumen"), "Er bestaat al een organisatie met deze naam", 409),
        (edit_data(type="onbekend"), "Ongeldige keuze", 400),
    ]
    for data, message, status in cases:
        response = client.post("/organisaties/gemeente-utrecht/bewerken", data=data)
        assert response.status_code == status, message
        assert message in response.get_data(as_text=True), message
    db.session.expire_all()
    org = db.session.get(Organisation, world.utrecht.id)
    assert org.name == "Gemeente Utrecht" and [d.domain for d in org.domains] == ["utrecht.nl"]


def test_size_class_only_for_municipalities(client, world, as_user):
    as_user(world.site_admin)
    response = client.post(
        "/organisaties/nieuw",
        data=edit_data(name="Waterschap Test", type="waterschap", email_domains=""),
    )
    assert response.status_code == 400
    assert "Een grootteklasse geldt alleen voor gemeenten." in response.get_data(as_text=True)


def test_unknown_organisation_slug_is_404(client, world, as_user):
    as_user(world.site_admin)
    assert client.get("/organisaties/bestaat-niet/bewerken").status_code == 404


def test_membership_is_suggested_by_domain_requested_and_approved(client, world, as_user, mailbox):
    newcomer = make_user("eva@heumen.nl", name="Eva Jansen")
    db.session.commit()
    as_user(newcomer)
    page = client.get("/account").get_data(as_text=True)
    assert "Word lid van Gemeente Heumen" in page
    response = client.post("/organisaties/gemeente-heumen/lid-worden")
    assert response.status_code == 302
    membership = db.session.scalar(select(Membership).where(Membership.user_id == newcomer.id))
    assert membership.status == "pending"
    assert (
        "Eva Jansen" in mailbox.messages()[-1] and "To: beheer@heumen.nl" in mailbox.messages()[-1]
    )
    # a second request is refused, nothing doubled
    client.post("/organisaties/gemeente-heumen/lid-worden")
    assert db.session.query(Membership).filter_by(user_id=newcomer.id).count() == 1
    client.post("/uitloggen")

    as_user(world.utrecht_admin)  # the wrong organisation's admin
    assert (
        client.post(f"/organisaties/gemeente-heumen/leden/{membership.id}/goedkeuren").status_code
        == 403
    )
    client.post("/uitloggen")
    as_user(world.heumen_admin)
    assert client.get("/organisaties/gemeente-heumen/leden").status_code == 200
    assert (
        client.post(f"/organisaties/gemeente-heumen/leden/{membership.id}/goedkeuren").status_code
        == 302
    )
    db.session.refresh(membership)
    assert membership.status == "approved" and membership.decided_by_id == world.heumen_admin.id


def test_unverified_account_cannot_request_membership(client, world, as_user):
    newcomer = make_user("nieuw@heumen.nl", verified=False)
    db.session.commit()
    as_user(newcomer)
    response = client.post("/organisaties/gemeente-heumen/lid-worden", follow_redirects=True)
    assert "Bevestig eerst uw e-mailadres" in response.get_data(as_text=True)
    assert db.session.query(Membership).filter_by(user_id=newcomer.id).count() == 0


def test_last_admin_cannot_step_down_or_be_removed(client, world, as_user):
    as_user(world.heumen_admin)
    membership = world.heumen.memberships[0]
    response = client.post(
        f"/organisaties/gemeente-heumen/leden/{membership.id}/rol",
        data={"role": "member"},
        follow_redirects=True,
    )
    assert "minstens één beheerder" in response.get_data(as_text=True)
    db.session.refresh(membership)
    assert membership.role == "admin"


def test_admin_changes_a_role_and_refuses_unknown_roles(client, world, as_user):
    as_user(world.utrecht_admin)
    editor = next(m for m in world.utrecht.memberships if m.user_id == world.utrecht_editor.id)
    client.post(f"/organisaties/gemeente-utrecht/leden/{editor.id}/rol", data={"role": "eigenaar"})
    db.session.refresh(editor)
    assert editor.role == "editor"
    client.post(f"/organisaties/gemeente-utrecht/leden/{editor.id}/rol", data={"role": "admin"})
    db.session.refresh(editor)
    assert editor.role == "admin"


def test_membership_of_another_organisation_is_404(client, world, as_user):
    as_user(world.utrecht_admin)
    heumen_membership = world.heumen.memberships[0]
    assert (
        client.post(
            f"/organisaties/gemeente-utrecht/leden/{heumen_membership.id}/verwijderen"
        ).status_code
        == 404
    )
