"""The yearly report of an action plan as a Word document (python-docx: the maintained library
for writing DOCX, already used to read attachments)."""

from __future__ import annotations

from datetime import date

from docx import Document
from flask_babel import gettext as _

from portal.formatting import long_date
from portal.plans.forms import STATUS_CHOICES
from portal.plans.models import Plan


def _value(value: int | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value}%" if unit == "%" else f"{value} {unit}".strip()


def report_docx(plan: Plan, year: int, context: dict) -> Document:
    """Write the plan's report for the year: goals with progress, actions by status, what carries
    the plan out."""
    document = Document()
    document.core_properties.title = _(
        "Rapportage %(year)d: %(title)s", year=year, title=plan.title
    )
    document.add_heading(_("Rapportage %(year)d: %(title)s", year=year, title=plan.title), level=0)
    document.add_paragraph(
        _("%(org)s · stand van zaken over %(year)d", org=plan.organisation.name, year=year)
    )
    if plan.summary:
        document.add_paragraph(plan.summary)
    document.add_heading(_("Doelen en voortgang"), level=1)
    table = document.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells,
        (
            _("Doel"),
            _("Beginwaarde"),
            _("Streefwaarde"),
            _("Laatste meting"),
            _("Voortgang"),
            _("Stand"),
        ),
        strict=True,
    ):
        cell.text = text
    for goal in context["goals"]:
        data = goal.goal
        latest = goal.latest
        row = table.add_row().cells
        row[0].text = f"{goal.number}. {data['goal']}"
        row[1].text = _value(data.get("baseline"), data["unit"]) + (
            f" ({data['baseline_year']})" if data.get("baseline_year") else ""
        )
        row[2].text = f"{_value(data['target'], data['unit'])} ({data['target_year']})"
        if goal.hidden:
            row[3].text = _("alleen voor leden")
        else:
            row[3].text = f"{_value(latest[1], data['unit'])} ({latest[0]})" if latest else "–"
        row[4].text = f"{goal.progress}%" if goal.progress is not None else "–"
        row[5].text = (
            "–" if goal.hidden else _("bereikt") if goal.reached else _("nog niet bereikt")
        )
    document.add_heading(_("Acties"), level=1)
    for status, actions in context["actions_by_status"].items():
        document.add_heading(str(dict(STATUS_CHOICES).get(status, status)), level=2)
        for action in actions:
            role = context["roles"].get(action.get("owner_role"))
            details = [
                f"{_('doel')} {action['goal']}" if action.get("goal") else "",
                role.label if role else "",
                long_date(date.fromisoformat(action["deadline"])) if action.get("deadline") else "",
            ]
            text = action["action"] + (
                f" ({', '.join(d for d in details if d)})" if any(details) else ""
            )
            document.add_paragraph(text, style="List Bullet")
    if context["carried_out_by"]:
        document.add_heading(_("Uitgevoerd met"), level=1)
        for item in context["carried_out_by"]:
            document.add_paragraph(item.title, style="List Bullet")
    return document
