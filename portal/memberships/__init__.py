"""The membership workflow shared by organisations and working groups.

models.py: the MembershipRow mixin both membership tables use; services.py: the steps (ask,
decide, set role, remove, leave, add directly, last-admin guard); views.py: the members page and
its buttons, which each side adds to its own blueprint with `add_member_pages`. Each side passes
what differs (its rows, roles, permissions and Dutch wording); this package names neither side.
"""
