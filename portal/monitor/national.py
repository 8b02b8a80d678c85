"""The tables of the national overview (/monitor) as downloads: the same rows and figures as the
page, a figure with too few organisations behind it left empty and named in the last column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.common import whole_number
from portal.exports import INT, TEXT, URL, Column
from portal.mail import absolute_url
from portal.monitor.models import FIRST_YEAR, LAST_YEAR
from portal.monitor.queries import MIN_PEERS, GroupFigures, NationalOverview, Period, Share


class PeriodError(ValueError):
    """A period the overview cannot show (the message is Dutch, for the visitor)."""


def _year(raw: str | None, message: str) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    year = whole_number(raw.strip(), FIRST_YEAR, LAST_YEAR)
    if year is None:
        raise PeriodError(message)
    return year


def period_from(args) -> Period:
    """The period ?van=…&tot=… asks for (either end may be left open)."""
    first = _year(args.get("van"), _("Het beginjaar (van) moet een jaartal van %(low)d tot en met %(high)d zijn.", low=FIRST_YEAR, high=LAST_YEAR))  # fmt: skip
    last = _year(args.get("tot"), _("Het eindjaar (tot) moet een jaartal van %(low)d tot en met %(high)d zijn.", low=FIRST_YEAR, high=LAST_YEAR))  # fmt: skip
    if first is not None and last is not None and first > last:
        raise PeriodError(_("Het beginjaar (%(first)d) ligt na het eindjaar (%(last)d).", first=first, last=last))  # fmt: skip
    return Period(first, last)


def _shown(share: Share) -> int | None:
    return share.percent if share.shown else None


def _too_few(*named: tuple[str, bool]) -> str:
    """The note of a row: which of its figures have too few organisations behind them."""
    hidden = [str(name) for name, shown in named if not shown]
    if not hidden:
        return ""
    return _(
        "te weinig organisaties (minder dan %(n)d) voor: %(figures)s",
        n=MIN_PEERS,
        figures=", ".join(hidden),
    )


NOTE = _l("Opmerking")


def group_columns(
    heading: Any, label: Callable[[Any], Any], label_type: str = TEXT
) -> list[Column]:
    """The columns of a table of groups: rows are (label source, GroupFigures) pairs."""

    def figures(row) -> GroupFigures:
        return row[1]

    def if_shown(read: Callable[[GroupFigures], Any]) -> Callable[[Any], Any]:
        return lambda row: read(figures(row)) if figures(row).shown else None

    def if_value_shown(read: Callable[[GroupFigures], Any]) -> Callable[[Any], Any]:
        return lambda row: read(figures(row)) if figures(row).value_share.shown else None

    return [
        Column(heading, lambda row: label(row[0]), label_type),
        Column(_l("Organisaties"), if_shown(lambda f: f.organisations), INT),
        Column(_l("Aanbestedingen"), if_shown(lambda f: f.tenders), INT),
        Column(_l("Met MVI"), if_shown(lambda f: f.with_mvi), INT),
        Column(_l("Aandeel met MVI (aantal, %)"), if_shown(lambda f: f.count_share.percent), INT),
        Column(_l("Waarde (euro)"), if_value_shown(lambda f: f.value), INT),
        Column(_l("Waarde met MVI (euro)"), if_value_shown(lambda f: f.value_with_mvi), INT),
        Column(
            _l("Aandeel met MVI (waarde, %)"), if_value_shown(lambda f: f.value_share.percent), INT
        ),
        Column(
            NOTE,
            lambda row: _too_few(
                (_("alle cijfers"), figures(row).shown),
                (_("waarde"), figures(row).value_share.shown or not figures(row).shown),
            ),
        ),
    ]


@dataclass(frozen=True)
class NationalTable:
    """One table of /monitor: its key in ?tabel=, its title, and its rows and columns."""

    key: str
    title: Any
    rows_and_columns: Callable[[NationalOverview], tuple[list, list[Column]]]


def _years(overview: NationalOverview):
    return overview.per_year, group_columns(_l("Jaar"), lambda year: year, INT)


def _themes(overview: NationalOverview):
    total = overview.total

    def uptake(theme):
        return overview.theme_uptake(theme.id)

    columns = [
        Column(_l("Thema"), lambda theme: theme.label),
        Column(
            _l("Aanbestedingen met dit thema"),
            lambda theme: uptake(theme).tenders if total.shown else None,
            INT,
        ),
        Column(
            _l("Aandeel van alle aanbestedingen (%)"),
            lambda theme: _shown(uptake(theme).share_of(total)),
            INT,
        ),
    ]
    for instrument in overview.instruments:
        columns.append(
            Column(
                _("%(term)s (%% van het thema)", term=instrument.label),
                lambda theme, i=instrument.id: _shown(uptake(theme).instrument_share(i)),
                INT,
            )
        )
    for level in overview.ambition_levels:
        columns.append(
            Column(
                _("Ambitie %(term)s (%% van het thema)", term=level.label),
                lambda theme, a=level.id: _shown(uptake(theme).ambition_share(a)),
                INT,
            )
        )
    columns.append(
        Column(
            NOTE,
            lambda theme: _too_few(
                (_("aandeel"), total.shown),
                (
                    _("verdeling over instrumenten en ambitieniveaus"),
                    not uptake(theme).tenders or uptake(theme).breakdown_shown,
                ),
            ),
        )
    )
    return overview.themes, columns


def _groups(attribute: str, heading: Any):
    def rows_and_columns(overview: NationalOverview):
        rows = [(term, figures) for term, figures, _uptake in getattr(overview, attribute)]
        return rows, group_columns(heading, lambda term: term.label)

    return rows_and_columns


def _themes_per(attribute: str):
    def rows_and_columns(overview: NationalOverview):
        groups = getattr(overview, attribute)

        def share(theme, figures: GroupFigures, uptake) -> int | None:
            found = uptake.get(theme.id)
            return _shown(
                Share(found.tenders if found else 0, figures.tenders, figures.organisations)
            )

        columns = [Column(_l("Thema"), lambda theme: theme.label)]
        for term, figures, uptake in groups:
            columns.append(
                Column(
                    _("%(group)s (%%)", group=term.label),
                    lambda theme, f=figures, u=uptake: share(theme, f, u),
                    INT,
                )
            )
        columns.append(
            Column(
                NOTE,
                lambda theme: _too_few(
                    *((term.label, figures.shown) for term, figures, _uptake in groups)
                ),
            )
        )
        return overview.themes, columns

    return rows_and_columns


def _examples(overview: NationalOverview):
    total = overview.total
    columns = [
        Column(_l("Thema"), lambda theme: theme.label),
        Column(
            _l("Aandeel van alle aanbestedingen (%)"),
            lambda theme: _shown(overview.theme_uptake(theme.id).share_of(total)),
            INT,
        ),
        Column(
            _l("Voorbeeldaanbestedingen"), lambda theme: overview.examples.get(theme.id, 0), INT
        ),
        Column(
            _l("Adres"),
            lambda theme: absolute_url("content.index", spec="tender", thema=theme.slug),
            URL,
        ),
    ]
    return overview.least_applied, columns


NATIONAL_TABLES = {
    table.key: table
    for table in (
        NationalTable("jaren", _l("MVI per jaar"), _years),
        NationalTable("themas", _l("MVI per thema"), _themes),
        NationalTable(
            "soorten", _l("MVI per soort organisatie"), _groups("per_type", _l("Soort organisatie"))
        ),
        NationalTable(
            "themas-per-soort", _l("Thema's per soort organisatie"), _themes_per("per_type")
        ),
        NationalTable(
            "grootte", _l("MVI per gemeentegrootte"), _groups("per_size", _l("Inwonertal"))
        ),
        NationalTable(
            "themas-per-grootte", _l("Thema's per gemeentegrootte"), _themes_per("per_size")
        ),
        NationalTable("voorbeelden", _l("Waar voorbeelden het hardst nodig zijn"), _examples),
    )
}
