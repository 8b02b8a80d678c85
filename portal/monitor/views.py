"""Monitor record pages of an organisation: the list, the record form, upload and promotion.

Strangers get 404 (they do not learn that records exist), members who may not write get 403."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.accounts.models import User
from portal.common import ServiceError, whole_number
from portal.content.forms import offered_terms
from portal.exports import INT, Column, dated_name, export_response
from portal.extensions import db
from portal.forms import ConfirmForm, button_action, choices, handle_form
from portal.monitor import bp, services
from portal.monitor.forms import EMPTY_MVI_ROWS, MIN_MVI_ROWS, RecordForm, UploadForm
from portal.monitor.models import MonitorRecord, MonitorRecordMvi
from portal.monitor.queries import record_years, summarise_population, summary_per_year
from portal.organisations.models import Organisation
from portal.pagination import paginate
from portal.sections import add_section

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
        abort(400, _("Onbekend jaar."))
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


@bp.route("/organisaties/<slug>/monitor")
@login_required
def overview(slug: str):
    """The organisation's MVI practice in numbers: per year the share of its tenders with MVI,
    by count and by value, each year linked to the records behind it."""
    organisation = _organisation(slug)
    per_year = summary_per_year(organisation.id, current_user)
    return render_template(
        "monitor/overview.html",
        organisation=organisation,
        per_year=per_year,
        count_bars=[(str(year), figures.share) for year, figures in per_year],
        value_bars=[(str(year), figures.value_share) for year, figures in per_year],
        total=summarise_population(organisation.id, viewer=current_user),
    )


# The monitor table's columns in a download (portal/exports.py): rows are (year, summary) pairs.
PER_YEAR_COLUMNS = (
    Column(_l("Jaar"), lambda row: row[0], INT),
    Column(_l("Aanbestedingen"), lambda row: row[1].tenders, INT),
    Column(_l("Met MVI"), lambda row: row[1].with_mvi, INT),
    Column(_l("Aandeel met MVI (aantal, %)"), lambda row: row[1].share, INT),
    Column(_l("Waarde (euro)"), lambda row: row[1].value, INT),
    Column(_l("Waarde met MVI (euro)"), lambda row: row[1].value_with_mvi, INT),
    Column(_l("Aandeel met MVI (waarde, %)"), lambda row: row[1].value_share, INT),
)


@bp.route("/organisaties/<slug>/monitor.<any(csv, xlsx):file_format>")
@login_required
def overview_export(slug: str, file_format: str):
    """The monitor's table per year as CSV or XLSX: the same figures as the page, for the same
    members."""
    organisation = _organisation(slug)
    rows = summary_per_year(organisation.id, current_user)
    return export_response(
        file_format, rows, PER_YEAR_COLUMNS, dated_name(f"mvi-monitor-{organisation.slug}"),
        title=_("MVI per jaar"),
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
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        chosen = form.file.data
        if not getattr(chosen, "filename", None):
            form.file.errors = [_("Kies een bestand.")]
            status = 400
        else:
            content = chosen.read(current_app.config["MAX_CONTENT_LENGTH"])
            try:
                result = services.upload_records(
                    organisation, chosen.filename, content, actor=current_user
                )
                db.session.commit()
            except services.UploadError as error:
                db.session.rollback()
                problems, status = error.problems, 400
            except ServiceError as error:
                db.session.rollback()
                problems, status = [error.message], error.status
            else:
                flash(
                    _(
                        "%(created)d registraties toegevoegd, %(updated)d bijgewerkt.",
                        created=result.created,
                        updated=result.updated,
                    ),
                    "success",
                )
                return redirect(url_for("monitor.index", slug=slug))
            form.file.errors = [_("Er is niets opgeslagen: los de problemen hieronder op.")]
    elif form.is_submitted():
        status = 400
    return render_template(
        "monitor/upload.html",
        form=form,
        organisation=organisation,
        problems=problems,
        columns=services.COLUMNS,
    ), status


@bp.route(f"{BASE}/sjabloon.<any(csv, xlsx):extension>")
@login_required
def template(slug: str, extension: str):
    organisation = _organisation(slug)
    if extension == "csv":
        body, mimetype = services.template_csv(), "text/csv; charset=utf-8"
    else:
        body = services.template_xlsx()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="registraties-{organisation.slug}.{extension}"'
        },
    )


@add_section("organisations.show", "monitor/_organisation_section.html", order=30)
def _organisation_monitor(organisation: Organisation, user: User) -> dict | None:
    """A door to the records, for the organisation's own members only."""
    if not permissions.can_view_monitor_records(user, organisation):
        return None
    count = db.session.scalar(
        select(func.count())
        .select_from(MonitorRecord)
        .where(MonitorRecord.organisation_id == organisation.id)
    )
    return {"organisation": organisation, "count": count}


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
