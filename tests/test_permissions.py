"""Every write is authorised by a named permission function, tested both ways."""

import importlib
import inspect
import pkgutil

import pytest
from flask_login import AnonymousUserMixin

import portal
from portal import permissions as p
from portal.permissions import REGISTERED_ACTIONS, PermissionDenied


def _service_modules():
    for info in pkgutil.iter_modules(portal.__path__):
        if info.ispkg:
            try:
                yield importlib.import_module(f"portal.{info.name}.services")
            except ModuleNotFoundError:
                continue


def test_every_public_service_function_has_a_permission():
    missing = []
    for module in _service_modules():
        if module.__name__ in STEP_MODULES:
            continue
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            if not hasattr(fn, "permission") and name not in READ_HELPERS:
                missing.append(f"{module.__name__}.{name}")
    assert missing == []
    assert len(REGISTERED_ACTIONS) >= 30


# Modules of steps that only authorised services call (their callers carry the permission; the
# membership steps are called by organisations' and groups' services, tests/test_memberships.py).
STEP_MODULES = {"portal.memberships.services"}


def test_the_membership_steps_are_called_only_by_authorised_services():
    from portal.groups import services as groups
    from portal.memberships import services as steps
    from portal.organisations import services as organisations

    step_names = {name for name, fn in inspect.getmembers(steps, inspect.isfunction)
                  if fn.__module__ == steps.__name__}  # fmt: skip
    callers = [
        fn
        for module in (groups, organisations)
        for _, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__
        and any(f"memberships.{step}(" in inspect.getsource(fn) for step in step_names)
    ]
    assert len(callers) >= 8
    assert [fn.__name__ for fn in callers if not hasattr(fn, "permission")] == []


# Pure helpers that write nothing (validation, hashing, lookups).
READ_HELPERS = {
    "hash_password", "password_matches", "check_password_strength", "clean_email",
    "find_user_by_email", "login_blocked", "clean_cpv_codes", "apply_fields", "normalise_tag",
    "snapshot", "open_attachment",
    # Index maintenance after commits and from the CLI: writes no user-visible data.
    "engine", "engine_name", "update_index", "init_index_on_commit", "reindex", "check", "find",
    "fix", "rebuild_when_missing",
    # The outbox: records and delivers the side effects of writes that were authorised themselves.
    "record", "handles", "on_sweep", "deliver_after_commit_with",
    # A step of an authorised write (a kind's own service keeps the revision of its item).
    "record_revision",
    # Monitor records: validation and the upload template.
    "clean_record", "example_row", "template_csv", "template_xlsx",
    # The tender calendar: validation of a planned tender.
    "clean_plan",
    # API tokens: finding a token by its text, a member's own list.
    "hash_token", "token_for", "tokens_of",
}  # fmt: skip


def test_a_service_refuses_an_actor_without_permission(world):
    from portal.taxonomy import services
    from portal.taxonomy.models import VOCABULARIES

    with pytest.raises(PermissionDenied):
        services.create_term(VOCABULARIES["themas"], {"name": "Nieuw"}, actor=world.utrecht_admin)
    term = services.create_term(VOCABULARIES["themas"], {"name": "Nieuw"}, actor=world.site_admin)
    assert term.slug == "nieuw"


ANONYMOUS = AnonymousUserMixin()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("site_admin", True), ("moderator", False), ("utrecht_admin", False), ("anonymous", False)],
)
def test_can_edit_taxonomy(world, who, allowed):
    user = ANONYMOUS if who == "anonymous" else getattr(world, who)
    assert p.can_edit_taxonomy(user) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("utrecht_admin", True), ("site_admin", True), ("utrecht_editor", False),
        ("utrecht_member", False), ("heumen_admin", False), ("moderator", False), ("anonymous", False),
    ],
)  # fmt: skip
def test_can_edit_organisation(world, who, allowed):
    user = ANONYMOUS if who == "anonymous" else getattr(world, who)
    assert p.can_edit_organisation(user, world.utrecht) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("heumen_admin", True),
        ("moderator", True),
        ("site_admin", True),
        ("utrecht_admin", False),
        ("anonymous", False),
    ],
)
def test_can_view_closed_group_content(world, who, allowed):
    user = ANONYMOUS if who == "anonymous" else getattr(world, who)
    assert p.can_view_group_content(user, world.closed_group) is allowed


def test_open_group_content_is_visible_to_everyone(world):
    assert p.can_view_group_content(ANONYMOUS, world.open_group)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("moderator", True), ("site_admin", True), ("utrecht_admin", False), ("anonymous", False)],
)
def test_can_create_group(world, who, allowed):
    user = ANONYMOUS if who == "anonymous" else getattr(world, who)
    assert p.can_create_group(user) is allowed


def test_can_request_membership_only_once_and_only_when_verified(world):
    from tests.factories import make_user

    unverified = make_user("nieuw@heumen.nl", verified=False)
    assert not p.can_request_membership(unverified, world.heumen)
    assert p.can_request_membership(world.outsider, world.heumen)
    assert not p.can_request_membership(world.heumen_admin, world.heumen)
    assert not p.can_request_membership(ANONYMOUS, world.heumen)


def test_site_roles_table():
    assert p.site_roles(None) == {p.Role.VISITOR}
    assert p.site_roles(ANONYMOUS) == {p.Role.VISITOR}


@pytest.mark.parametrize(
    ("snapshot", "allowed"),
    [
        ({"status": "published", "visibility": "public"},
         {"anonymous": True, "outsider": True, "utrecht_member": True, "utrecht_editor": True}),
        ({"status": "draft", "visibility": "public"},
         {"anonymous": False, "outsider": False, "utrecht_member": False, "utrecht_editor": True}),
        ({"status": "published", "visibility": "members"},
         {"anonymous": False, "outsider": False, "utrecht_member": True, "utrecht_editor": True}),
        ({"status": "published", "visibility": "group", "group": "kleine-gemeenten-samen"},
         {"anonymous": False, "heumen_admin": False, "utrecht_member": False, "utrecht_editor": True}),
    ],
)  # fmt: skip
def test_can_view_revision_of_a_public_item(world, snapshot, allowed):
    from tests.factories import make_item

    item = make_item("criterion", world.utrecht)
    for who, expected in allowed.items():
        user = ANONYMOUS if who == "anonymous" else getattr(world, who)
        assert p.can_view_revisions(user, item) is True, who
        assert p.can_view_revision(user, item, snapshot) is expected, who
        assert p.can_view_editorial_fields(user, item) is (who == "utrecht_editor"), who


def test_can_view_revisions_follows_who_may_open_the_item(world):
    from tests.factories import make_item

    item = make_item("lesson", world.utrecht, visibility="members")
    published = {"status": "published", "visibility": "members"}
    for who, expected in (("anonymous", False), ("outsider", False), ("utrecht_member", True),
                          ("heumen_admin", True), ("moderator", True)):  # fmt: skip
        user = ANONYMOUS if who == "anonymous" else getattr(world, who)
        assert p.can_view_revisions(user, item) is expected, who
        assert p.can_view_revision(user, item, published) is expected, who
