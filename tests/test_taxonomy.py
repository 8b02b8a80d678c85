"""Vocabularies as data: public pages and the administrators' editor."""

from sqlalchemy import select

from portal.extensions import db
from portal.taxonomy.models import ProductGroup, Theme


def test_theme_and_product_group_pages(client, taxonomy):
    assert "Social return" in client.get("/themas").get_data(as_text=True)
    page = client.get("/themas/circulair").get_data(as_text=True)
    assert "Circulair" in page and "Kennisdossier" in page
    page = client.get("/productgroepen/asfalt-en-wegverharding").get_data(as_text=True)
    assert "45233220" in page and "Grond-, weg- en waterbouw (GWW)" in page
    assert client.get("/themas/bestaat-niet").status_code == 404
    assert client.get("/productgroepen/bestaat-niet").status_code == 404


def test_taxonomy_counts_from_the_shared_files(taxonomy):
    assert db.session.query(Theme).count() == 8
    assert db.session.query(ProductGroup).count() >= 35


def test_admin_renames_a_theme_and_the_slug_stays(client, world, as_user):
    as_user(world.site_admin)
    response = client.post(
        "/beheer/lijsten/themas/circulair/bewerken",
        data={"name": "Circulair en biobased", "position": "2", "is_active": "y", "is_core": "y"},
    )
    assert response.status_code == 302
    theme = db.session.scalar(select(Theme).where(Theme.slug == "circulair"))
    assert theme.name == "Circulair en biobased"
    assert client.get("/themas/circulair").status_code == 200


def test_admin_adds_a_product_group_with_cpv_codes(client, world, as_user):
    as_user(world.site_admin)
    response = client.post(
        "/beheer/lijsten/productgroepen/nieuw",
        data={"name": "Laadpalen", "cluster": "energie", "cpv_codes": "31158100-9, 45315600"},
    )
    assert response.status_code == 302
    group = db.session.scalar(select(ProductGroup).where(ProductGroup.slug == "laadpalen"))
    assert group.cpv_list == ["31158100-9", "45315600"] and group.cluster.slug == "energie"


def test_bad_cpv_code_and_duplicate_name_are_refused(client, world, as_user):
    as_user(world.site_admin)
    response = client.post(
        "/beheer/lijsten/productgroepen/nieuw",
        data={"name": "Laadpalen", "cluster": "energie", "cpv_codes": "3115"},
    )
    assert response.status_code == 400
    assert "geen geldige CPV-code" in response.get_data(as_text=True)
    response = client.post("/beheer/lijsten/themas/nieuw", data={"name": "klimaat"})
    assert response.status_code == 409
    assert db.session.scalar(select(ProductGroup).where(ProductGroup.slug == "laadpalen")) is None


def test_non_admins_cannot_edit_vocabularies(client, world, as_user):
    as_user(world.moderator)
    assert client.get("/beheer/lijsten").status_code == 403
    assert (
        client.post(
            "/beheer/lijsten/themas/circulair/bewerken", data={"name": "Gekaapt"}
        ).status_code
        == 403
    )
    assert db.session.scalar(select(Theme).where(Theme.slug == "circulair")).name == "Circulair"


def test_unknown_vocabulary_is_404(client, world, as_user):
    as_user(world.site_admin)
    assert client.get("/beheer/lijsten/bestaat-niet").status_code == 404
