"""Domain events of knowledge items, as blinker signals. The services send them inside the
request's transaction; subscribers (notifications, ...) record their side effects in that same
transaction, so a rollback takes them back too."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the item, just published (not on later edits); kwargs: actor.
item_published = _signals.signal("item-published")
# sender: the item; kwargs: organisation (newly invited to co-own it), actor.
co_owner_invited = _signals.signal("co-owner-invited")
# sender: the item, already published, after an edit kept a new revision; kwargs: number
# (the revision's), actor.
item_revised = _signals.signal("item-revised")
# sender: the new ItemLink (source and target set); kwargs: actor.
item_linked = _signals.signal("item-linked")
