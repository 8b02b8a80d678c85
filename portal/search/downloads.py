"""A search result as a table for its CSV/XLSX download: every result the reader may see, in
the page's order, with the columns every knowledge list has."""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from portal.content.export_columns import KIND, items_by_id, shared_columns
from portal.content.models import Item
from portal.exports import DECIMAL, INT, Column
from portal.permissions import Actor
from portal.search.searching import WholeResult, search_all

# A download holds at most this many results (browsing a facet lists every visible item).
EXPORT_LIMIT = 10_000


class Row(NamedTuple):
    rank: int
    item: Item
    score: float


def _of_item(column: Column) -> Column:
    return Column(column.heading, lambda row: column.value(row.item), column.type, column.places)


def result_table(args, user: Actor) -> tuple[WholeResult, list[Row], list[Column]]:
    """The search's rows and columns; BadSearchError for arguments that name nothing."""
    whole = search_all(args, user, most=EXPORT_LIMIT)
    items = items_by_id([item_id for item_id, _score in whole.ranked])
    rows = [
        Row(rank, items[item_id], score)
        for rank, (item_id, score) in enumerate(whole.ranked, start=1)
        if item_id in items
    ]
    columns = [
        Column(_l("Rang"), lambda row: row.rank, INT),
        _of_item(KIND),
        *(_of_item(column) for column in shared_columns()),
        Column(_l("Score"), lambda row: row.score, DECIMAL, places=4),
    ]
    return whole, rows, columns
