"""Monitor record pages of an organisation: the list, the record form, upload and promotion.

Strangers get 404 (they do not learn that records exist), members who may not write get 403."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.accounts.models import User
from portal.common import ServiceError, whole_number
from portal.content.forms import offered_terms
from portal.content.models import Item
from portal.exports import INT, Column, dated_name, export_response
from portal.extensions import db
from portal.forms import ConfirmForm, button_action, choices, handle_form, handle_upload
from portal.monitor import bp, queries, services
from portal.monitor.forms import (
    EMPTY_MVI_ROWS,
    MIN_MVI_ROWS,
    MonitorSettingsForm,
    RecordForm,
    UploadForm,
)
from portal.monitor.models import FIRST_YEAR, LAST_YEAR, MonitorRecord, MonitorRecordMvi
from portal.monitor.queries import record_years, summarise_population
from portal.organisations.models import Organisation
from portal.pagination import paginate
from portal.sections import add_section
from portal.spreadsheets import template_response
from portal.taxonomy.models import AmbitionLevel, Instrument, Theme
from portal.tenders.models import Tender

BASE = "/organisaties/<slug>/monitor/registraties"


def _organisation(slug: str) -> Organisation:
    """The organisation, or 404 also when the viewer may not see its records."""
    organisation = db.first_or_404(select(Organisation).where(Organisation.slug == slug))
    if not permissions.can_view_monitor_records(current_user, organisation):
        abort(404)
    return organisation


def _writable(slug: str) -> Organisation:
    organisation = _organisation(slug)
    if not permissions.can_edit_monitor_records(current_user, organisation):
        abort(403)
    return organisation


def _record(organisation: Organisation, record_id: int) -> MonitorRecord:
    record = db.session.get(MonitorRecord, record_id)
    if record is None or record.organisation_id != organisation.id:
        abort(404)
    return record


def _offer_terms(form: RecordForm) -> None:
    def offer(field) -> None:
        field.choices = choices([("", _("— kies —")), *offered_terms(field.vocabulary, field.data)])

    for name in ("product_group", "procedure", "award_method"):
        offer(form[name])
    for row in form.mvi:
        for name in ("theme", "instrument", "ambition_level"):
            offer(row.form[name])


def _pad_mvi_rows(form: RecordForm) -> None:
    wanted = max(MIN_MVI_ROWS, len(form.mvi.entries) + EMPTY_MVI_ROWS)
    while len(form.mvi.entries) < min(wanted, form.mvi.max_entries):
        form.mvi.append_entry()


def _data_from(form: RecordForm) -> services.RecordData:
    return services.RecordData(
        reference=form.reference.data or "",
        title=form.title.data or "",
        year=form.year.data,
        value_min=form.value_min.data,
        value_max=form.value_max.data,
        product_group=form.product_group.data,
        cpv_code=form.cpv_code.data or "",
        procedure=form.procedure.data,
        award_method=form.award_method.data,
        mvi_applied=form.mvi_applied.data,
        mvi=[row.data for row in form.mvi],
        realised_percent=form.realised_percent.data,
    )


@bp.route(BASE)
@login_required
def index(slug: str):
    organisation = _organisation(slug)
    years = record_years(organisation.id)
    raw_year = request.args.get("jaar", "")
    year = whole_number(raw_year, 2000, 2100) if raw_year else None
    if raw_year and year is None:
        _refuse(_("Onbekend jaar."))
    query = select(MonitorRecord).where(MonitorRecord.organisation_id == organisation.id)
    if year is not None:
        query = query.where(MonitorRecord.year == year)
    query = query.options(
        selectinload(MonitorRecord.mvi_rows).joinedload(MonitorRecordMvi.theme),
        selectinload(MonitorRecord.tender),
    )
    page = paginate(query.order_by(MonitorRecord.year.desc(), MonitorRecord.reference), per_page=50)
    return render_template(
        "monitor/index.html",
        organisation=organisation,
        page=page,
        years=years,
        year=year,
        summary=summarise_population(organisation.id, year, current_user),
        can_edit=permissions.can_edit_monitor_records(current_user, organisation),
        confirm_form=ConfirmForm(),
    )


def _refuse(message: str) -> NoReturn:
    """Answer 400 with a Dutch message saying what was wrong with the address."""
    raise ServiceError(message, status=400)


def _monitor_of(slug: str) -> Organisation:
    """The organisation whose monitor the viewer may see: 404 for a stranger when it is not
    public (they do not learn more than that it is not theirs to see)."""
    organisation = db.first_or_404(select(Organisation).where(Organisation.slug == slug))
    if not permissions.can_view_monitor(current_user, organisation):
        if not current_user.is_authenticated:
            abort(current_app.login_manager.unauthorized())
        abort(404)
    return organisation


def _period() -> queries.Period:
    """The years asked for (?van=2021&tot=2024); 400 with a Dutch message for anything else."""
    years = []
    for name in ("van", "tot"):
        raw = request.args.get(name, "").strip()
        year = whole_number(raw, FIRST_YEAR, LAST_YEAR) if raw else None
        if raw and year is None:
            _refuse(_("Onbekend jaar ‘%(value)s’: kies een jaar van %(first)d tot en met %(last)d.", value=raw[:20], first=FIRST_YEAR, last=LAST_YEAR))  # fmt: skip
        years.append(year)
    first, last = years
    if first is not None and last is not None and first > last:
        _refuse(_("Het beginjaar (%(first)d) ligt na het eindjaar (%(last)d).", first=first, last=last))  # fmt: skip
    return queries.Period(first, last)


def _peer_group(organisation: Organisation) -> tuple[list[queries.PeerGroup], queries.PeerGroup]:
    """The organisation's peer groups and the one asked for (?vergelijk=...; the first when none
    is asked); 400 with a Dutch message for an unknown one."""
    groups = queries.peer_groups(organisation, current_user)
    key = request.args.get("vergelijk", "").strip() or groups[0].key
    chosen = next((group for group in groups if group.key == key), None)
    if chosen is None:
        _refuse(_("Onbekende vergelijkingsgroep ‘%(value)s’. Kies uit: %(choices)s.", value=key[:80], choices=", ".join(g.key for g in groups)))  # fmt: skip
    return groups, chosen


def _terms() -> dict[str, dict[int, object]]:
    """Themes, instruments and ambition levels by id, in their order, for the monitor's tables."""
    return {
        name: {term.id: term for term in db.session.scalars(select(model).order_by(model.position, model.name))}
        for name, model in (("themes", Theme), ("instruments", Instrument), ("ambitions", AmbitionLevel))
    }  # fmt: skip


@bp.route("/organisaties/<slug>/monitor")
def overview(slug: str):
    """The organisation's MVI practice in numbers over a period: per year, per theme (instrument,
    ambition level, weight), MKI gains, realisation and criteria reuse, beside its peers; every
    figure links to the tenders behind it."""
    organisation = _monitor_of(slug)
    period = _period()
    groups, peers = _peer_group(organisation)
    figures = queries.organisation_monitor(organisation.id, current_user, period, peers)
    can_change = permissions.can_change_monitor_settings(current_user, organisation)
    settings = None
    if can_change:
        settings = MonitorSettingsForm(
            public=organisation.monitor_public, benchmark=organisation.monitor_benchmark
        )
    terms = _terms()
    bench_lines = _benchmark_rows(figures, terms)
    return render_template(
        "monitor/overview.html",
        organisation=organisation,
        figures=figures,
        theme_bars=[
            (theme.label, queries.percent(found.tenders, figures.total.tenders), None, "")
            for theme, found, _total in _theme_rows(figures, terms)
        ],
        bench_lines=bench_lines,
        bench_bars=[(label, line.own, line.median, _("mediaan")) for label, line in bench_lines],
        criteria_used=_criteria(figures.criteria.used),
        criteria_by_others=_criteria(figures.criteria.used_by_others),
        position_labels=POSITION_LABELS,
        min_peers=queries.MIN_PEERS,
        demo=queries.has_demo_records(organisation.id),
        period=period,
        years=queries.population_years(organisation.id, current_user),
        groups=groups,
        peers=peers,
        terms=terms,
        members=permissions.can_view_monitor_records(current_user, organisation),
        settings=settings,
        count_bars=[(str(year), f.share) for year, f in figures.per_year],
        value_bars=[(str(year), f.value_share) for year, f in figures.per_year],
    )


@bp.route("/organisaties/<slug>/monitor/instellingen", methods=["POST"])
@login_required
def settings(slug: str):
    organisation = db.first_or_404(select(Organisation).where(Organisation.slug == slug))
    if not permissions.can_change_monitor_settings(current_user, organisation):
        abort(403)
    form = MonitorSettingsForm()
    if not form.validate_on_submit():
        _refuse(_("Het formulier is verlopen. Probeer het opnieuw."))
    services.change_monitor_settings(
        organisation,
        public=form.public.data,
        benchmark=form.benchmark.data,
        actor=current_user,
    )
    db.session.commit()
    flash(_("De instellingen van de monitor zijn opgeslagen."), "success")
    return redirect(url_for("monitor.overview", slug=slug) + "#instellingen")


def _selection(terms: dict[str, dict[int, object]]) -> queries.Selection:
    """The tenders behind a figure as asked (?thema=&instrument=&ambitie=&mvi=&uitkomst=); 400
    with a Dutch message for an unknown value."""
    ids = {}
    for arg, name, label in (("thema", "themes", _("thema")), ("instrument", "instruments", _("instrument")), ("ambitie", "ambitions", _("ambitieniveau"))):  # fmt: skip
        value = request.args.get(arg, "").strip()
        if not value:
            continue
        found = next((term.id for term in terms[name].values() if term.slug == value), None)
        if found is None:
            _refuse(_("Onbekend %(what)s ‘%(value)s’.", what=label, value=value[:80]))
        ids[name] = found
    mvi = request.args.get("mvi", "").strip()
    if mvi not in ("", "ja", "nee"):
        _refuse(_("Kies bij mvi ‘ja’ of ‘nee’."))
    outcome = request.args.get("uitkomst", "").strip()
    if outcome not in ("", "mki", "realisatie"):
        _refuse(_("Kies bij uitkomst ‘mki’ of ‘realisatie’."))
    return queries.Selection(
        theme_id=ids.get("themes"),
        instrument_id=ids.get("instruments"),
        ambition_level_id=ids.get("ambitions"),
        mvi={"ja": True, "nee": False}.get(mvi),
        outcome=outcome or None,
    )


def _describe(selection: queries.Selection, period: queries.Period, terms) -> str:
    """The figure a list of tenders stands behind, in words."""
    parts = []
    if period.first is not None or period.last is not None:
        if period.first == period.last:
            parts.append(_("jaar %(year)d", year=period.first))
        else:
            parts.append(_("jaren %(first)s tot en met %(last)s", first=period.first or "…", last=period.last or "…"))  # fmt: skip
    for name, term_id in (("themes", selection.theme_id), ("instruments", selection.instrument_id), ("ambitions", selection.ambition_level_id)):  # fmt: skip
        if term_id is not None:
            parts.append(terms[name][term_id].label)
    if selection.mvi is not None:
        parts.append(_("met MVI") if selection.mvi else _("zonder MVI"))
    if selection.outcome == "mki":
        parts.append(_("met MKI-waarden van de inschrijvingen"))
    elif selection.outcome == "realisatie":
        parts.append(_("met bijgehouden realisatie"))
    return ", ".join(parts) if parts else _("alle aanbestedingen")


@bp.route("/organisaties/<slug>/monitor/aanbestedingen")
def behind(slug: str):
    """The tenders behind a figure of the monitor: the example tenders the viewer may see, and for
    the organisation's members its records."""
    organisation = _monitor_of(slug)
    period = _period()
    terms = _terms()
    selection = _selection(terms)
    found = queries.behind_figure(organisation.id, current_user, period, selection)
    members = permissions.can_view_monitor_records(current_user, organisation)
    tenders = db.session.scalars(
        select(Tender)
        .where(Tender.id.in_(found.tender_ids))
        .order_by(Tender.year.desc(), Tender.title)
    ).all()
    records = None
    if members:
        records = paginate(
            select(MonitorRecord)
            .where(MonitorRecord.id.in_(found.record_ids))
            .options(selectinload(MonitorRecord.tender))
            .order_by(MonitorRecord.year.desc(), MonitorRecord.reference),
            per_page=50,
        )
    return render_template(
        "monitor/behind.html",
        description=_describe(selection, period, terms),
        organisation=organisation,
        period=period,
        selection=selection,
        terms=terms,
        tenders=tenders,
        records=records,
        record_count=found.record_count,
        members=members,
    )


def _criteria(counts: dict[int, int]) -> list[tuple[Item, int]]:
    """The criteria of a reuse count with their counts, most used first."""
    items = db.session.scalars(
        select(Item).where(Item.id.in_(counts)).options(selectinload(Item.organisation))
    )
    return sorted(
        ((item, counts[item.id]) for item in items), key=lambda pair: (-pair[1], pair[0].title)
    )


def _year_rows(figures: queries.OrganisationMonitor, terms) -> list:
    return figures.per_year


def _theme_rows(figures: queries.OrganisationMonitor, terms) -> list:
    return [
        (terms["themes"][theme_id], theme, figures.total.tenders)
        for theme_id, theme in sorted(
            figures.themes.items(), key=lambda pair: terms["themes"][pair[0]].position
        )
    ]


def _benchmark_rows(figures: queries.OrganisationMonitor, terms) -> list:
    bench = figures.benchmark
    if bench is None or bench.too_few or not figures.total.tenders:  # as the page: no own figure
        return []
    return [(_("MVI toegepast"), bench.overall)] + [
        (terms["themes"][theme_id].label, line) for theme_id, line in bench.themes.items()
    ]


def _theme_columns(terms) -> tuple[Column, ...]:
    """Theme, tenders, share, one column per instrument and per ambition level, average weight."""
    return (
        Column(_l("Thema"), lambda row: row[0].label),
        Column(_l("Aanbestedingen met dit thema"), lambda row: row[1].tenders, INT),
        Column(_l("Aandeel (%)"), lambda row: queries.percent(row[1].tenders, row[2]), INT),
        *(Column(term.label, lambda row, id_=id_: row[1].by_instrument.get(id_, 0), INT) for id_, term in terms["instruments"].items()),
        *(Column(term.label, lambda row, id_=id_: row[1].by_ambition.get(id_, 0), INT) for id_, term in terms["ambitions"].items()),
        Column(_l("Gemiddeld gewicht (%)"), lambda row: round(row[1].average_weight) if row[1].average_weight is not None else None, INT),
    )  # fmt: skip


POSITION_LABELS = {
    "koploper": _l("koploper"),
    "middenveld": _l("middenveld"),
    "achterblijver": _l("achterblijver"),
}
# The monitor's tables in a download (portal/exports.py): ?tabel=... names one.
EXPORT_TABLES = {
    "jaren": (
        _l("MVI per jaar"),
        _year_rows,
        lambda terms: (
            Column(_l("Jaar"), lambda row: row[0], INT),
            Column(_l("Aanbestedingen"), lambda row: row[1].tenders, INT),
            Column(_l("Met MVI"), lambda row: row[1].with_mvi, INT),
            Column(_l("Aandeel met MVI (aantal, %)"), lambda row: row[1].share, INT),
            Column(_l("Waarde (euro)"), lambda row: row[1].value, INT),
            Column(_l("Waarde met MVI (euro)"), lambda row: row[1].value_with_mvi, INT),
            Column(_l("Aandeel met MVI (waarde, %)"), lambda row: row[1].value_share, INT),
        ),
    ),
    "themas": (_l("MVI per thema"), _theme_rows, _theme_columns),
    "vergelijking": (
        _l("Vergelijking met vergelijkbare organisaties"),
        _benchmark_rows,
        lambda terms: (
            Column(_l("Cijfer"), lambda row: str(row[0])),
            Column(_l("Eigen aandeel (%)"), lambda row: row[1].own, INT),
            Column(_l("Mediaan vergelijkingsgroep (%)"), lambda row: row[1].median, INT),
            Column(_l("Grens onderste derde (%)"), lambda row: row[1].lower, INT),
            Column(_l("Grens bovenste derde (%)"), lambda row: row[1].upper, INT),
            Column(
                _l("Positie"),
                lambda row: str(POSITION_LABELS[row[1].position]) if row[1].position else "",
            ),
        ),
    ),
}


@bp.route("/organisaties/<slug>/monitor.<any(csv, xlsx):file_format>")
def overview_export(slug: str, file_format: str):
    """A table of the monitor as CSV or XLSX (?tabel=jaren|themas|vergelijking, with the page's
    period and peer group): the same figures as the page, for the same viewers."""
    organisation = _monitor_of(slug)
    table = request.args.get("tabel", "jaren")
    if table not in EXPORT_TABLES:
        _refuse(_("Onbekende tabel ‘%(value)s’. Kies uit: %(choices)s.", value=table[:40], choices=", ".join(EXPORT_TABLES)))  # fmt: skip
    period = _period()
    _groups, peers = _peer_group(organisation)
    figures = queries.organisation_monitor(
        organisation.id, current_user, period, peers if table == "vergelijking" else None
    )
    title, rows, columns = EXPORT_TABLES[table]
    terms = _terms()
    return export_response(
        file_format, rows(figures, terms), columns(terms),
        dated_name(f"mvi-monitor-{organisation.slug}-{table}"), title=str(title),
    )  # fmt: skip


@bp.route(f"{BASE}/nieuw", methods=["GET", "POST"])
@login_required
def create(slug: str):
    organisation = _writable(slug)
    form = RecordForm()
    _pad_mvi_rows(form)
    _offer_terms(form)
    outcome = handle_form(
        form,
        lambda: services.create_record(organisation, _data_from(form), actor=current_user),
    )
    if outcome.done:
        flash(_("De registratie is opgeslagen."), "success")
        return redirect(url_for("monitor.index", slug=slug))
    return render_template(
        "monitor/edit.html", form=form, organisation=organisation, record=None
    ), outcome.status


@bp.route(f"{BASE}/<int:record_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(slug: str, record_id: int):
    organisation = _writable(slug)
    record = _record(organisation, record_id)
    form = RecordForm()
    if request.method == "GET":
        form.reference.data, form.title.data, form.year.data = (
            record.reference,
            record.title,
            record.year,
        )
        form.value_min.data, form.value_max.data = record.value_min, record.value_max
        form.product_group.data = record.product_group.slug if record.product_group else ""
        form.cpv_code.data = record.cpv_code
        form.procedure.data = record.procedure.slug if record.procedure else ""
        form.award_method.data = record.award_method.slug if record.award_method else ""
        form.mvi_applied.data = record.mvi_applied
        form.realised_percent.data = record.realised_percent
        form.mvi.process(
            None,
            data=[
                {
                    "theme": row.theme.slug,
                    "instrument": row.instrument.slug if row.instrument else "",
                    "ambition_level": row.ambition_level.slug if row.ambition_level else "",
                }
                for row in record.mvi_rows
            ],
        )
    _pad_mvi_rows(form)
    _offer_terms(form)
    outcome = handle_form(
        form, lambda: services.update_record(record, _data_from(form), actor=current_user)
    )
    if outcome.done:
        flash(_("De registratie is opgeslagen."), "success")
        return redirect(url_for("monitor.index", slug=slug))
    return render_template(
        "monitor/edit.html",
        form=form,
        organisation=organisation,
        record=record,
        confirm_form=ConfirmForm(),
    ), outcome.status


@bp.route(f"{BASE}/<int:record_id>/verwijderen", methods=["POST"])
@login_required
def delete(slug: str, record_id: int):
    organisation = _organisation(slug)
    record = _record(organisation, record_id)
    return button_action(
        permissions.can_edit_monitor_record(current_user, record),
        lambda: services.delete_record(record, actor=current_user),
        _("De registratie is verwijderd."),
        url_for("monitor.index", slug=slug),
    )


@bp.route(f"{BASE}/<int:record_id>/voorbeeld", methods=["POST"])
@login_required
def promote(slug: str, record_id: int):
    organisation = _organisation(slug)
    record = _record(organisation, record_id)
    if record.tender_id is not None:
        flash(_("Van deze registratie is al een voorbeeldaanbesteding gemaakt."), "error")
        return redirect(url_for("monitor.index", slug=slug))
    target = {}

    def promote_and_remember():
        tender = services.promote_record(record, actor=current_user)
        target["slug"] = tender.slug
        return tender

    response = button_action(
        permissions.can_promote_monitor_record(current_user, record),
        promote_and_remember,
        _("Er is een concept-voorbeeldaanbesteding gemaakt. Vul haar aan en publiceer haar."),
        url_for("monitor.index", slug=slug),
    )
    if "slug" in target:
        return redirect(url_for("content.edit", spec="tender", slug=target["slug"]))
    return response


@bp.route(f"{BASE}/uploaden", methods=["GET", "POST"])
@login_required
def upload(slug: str):
    organisation = _writable(slug)
    form = UploadForm()
    outcome, problems = handle_upload(
        form,
        lambda name, content: services.upload_records(
            organisation, name, content, actor=current_user
        ),
    )
    if outcome.done:
        flash(
            _(
                "%(created)d registraties toegevoegd, %(updated)d bijgewerkt.",
                created=outcome.value.created,
                updated=outcome.value.updated,
            ),
            "success",
        )
        return redirect(url_for("monitor.index", slug=slug))
    status = outcome.status
    return render_template(
        "monitor/upload.html",
        form=form,
        organisation=organisation,
        problems=problems,
    ), status


@bp.route(f"{BASE}/sjabloon.<any(csv, xlsx):extension>")
@login_required
def template(slug: str, extension: str):
    organisation = _organisation(slug)
    return template_response(
        extension, services.template_csv, services.template_xlsx,
        f"registraties-{organisation.slug}",
    )  # fmt: skip


@add_section("organisations.show", "monitor/_organisation_section.html", order=30)
def _organisation_monitor(organisation: Organisation, user: User) -> dict | None:
    """A door to the monitor: with the records for the organisation's own members, and to
    everyone when the organisation made its figures public."""
    members = permissions.can_view_monitor_records(user, organisation)
    if not members and not permissions.can_view_monitor(user, organisation):
        return None
    count = None
    if members:
        count = db.session.scalar(
            select(func.count())
            .select_from(MonitorRecord)
            .where(MonitorRecord.organisation_id == organisation.id)
        )
    return {"organisation": organisation, "count": count, "members": members}


# --- The national overview (/monitor): public, over every organisation in benchmarks -----------


# Imported here rather than at the top: this section is kept apart from the rest of the module.
from portal.errors import render_error  # noqa: E402
from portal.monitor import facts  # noqa: E402, F401 (the records' counts, kept after every write)
from portal.monitor.national import NATIONAL_TABLES, PeriodError, period_from  # noqa: E402
from portal.monitor.queries import MIN_PEERS, national_overview  # noqa: E402


@bp.route("/monitor")
def national():
    """MVI across the country: per year, theme, organisation type and size class, each figure
    only over at least MIN_PEERS organisations, as the visitor may see the tenders behind it."""
    try:
        period = period_from(request.args)
    except PeriodError as error:
        return render_template(
            "monitor/national.html", overview=None, period_error=str(error), min_peers=MIN_PEERS
        ), 400
    return render_template(
        "monitor/national.html",
        overview=national_overview(current_user, period),
        period_error=None,
        min_peers=MIN_PEERS,
    )


@bp.route("/monitor.<any(csv, xlsx):file_format>")
def national_export(file_format: str):
    """One table of /monitor (?tabel=…) as CSV or XLSX, for the same period and visitor."""
    table = NATIONAL_TABLES.get(request.args.get("tabel", ""))
    if table is None:
        return render_error(400, _("Onbekende tabel ‘%(table)s’. Kies uit: %(choices)s.", table=request.args.get("tabel", "")[:100], choices=", ".join(NATIONAL_TABLES)))  # fmt: skip
    try:
        period = period_from(request.args)
    except PeriodError as error:
        return render_error(400, str(error))
    overview = national_overview(current_user, period)
    rows, columns = table.rows_and_columns(overview)
    return export_response(
        file_format, rows, columns, dated_name(f"mvi-monitor-nederland-{table.key}"),
        title=str(table.title),
    )  # fmt: skip
