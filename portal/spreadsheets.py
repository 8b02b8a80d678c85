"""Upload spreadsheets (CSV and XLSX): reading them with every check, the header row, a Dutch
problem per bad row, and the templates to download. Used by the monitor's records and the
tender calendar, each with its own columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.common import ServiceError
from portal.content.files import check_upload
from portal.extensions import db

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_ERRORS = 50


class UploadError(ServiceError):
    """A spreadsheet with bad rows: every problem, one Dutch line each; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0], field="file")
        self.problems = problems


@dataclass
class UploadResult:
    """How many rows of an upload made new rows, and how many updated existing ones."""

    created: int
    updated: int


def lookup_term(model: type, value: Any, name: str, label: str, known: dict | None = None) -> Any:
    """A vocabulary row of a cell, by slug or exact name (case-insensitive); unknown values are
    refused. known: a lookup kept across rows (an upload looks up the same terms again)."""
    if value in (None, ""):
        return None
    raw = str(value).strip()
    key = (model, raw.lower())
    if known is not None and key in known:
        found = known[key]
    else:
        found = db.session.scalar(
            select(model).where(or_(model.slug == raw, func.lower(model.name) == raw.lower()))
        )
        if known is not None:
            known[key] = found
    if found is None:
        raise ServiceError(
            _("Onbekende waarde '%(value)s' voor %(label)s.", value=raw[:60], label=label),
            field=name,
        )
    return found


def template_response(extension: str, csv_body: Callable[[], bytes],
                      xlsx_body: Callable[[], bytes], filename: str) -> Response:  # fmt: skip
    """An upload's template (the columns and an example row) as a CSV or XLSX download."""
    if extension == "csv":
        body, mimetype = csv_body(), "text/csv; charset=utf-8"
    else:
        body = xlsx_body()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{extension}"'},
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(filename: str, content: bytes, *, max_rows: int) -> list[list[str]]:
    """The sheet's rows as text cells; the first is the header row (XLSX: at most max_rows + 2
    rows are read, enough to tell that there are too many)."""
    name = filename.lower()
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadError([_("Het bestand is groter dan 10 MB.")])
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:  # the attachments' checks first: a real XLSX by its content, no zip bomb
            checked = check_upload(filename, content, max_bytes=MAX_UPLOAD_BYTES)
        except ServiceError:
            checked = None
        if checked is None or checked.kind != "xlsx":
            raise UploadError([_("Dit XLSX-bestand kan niet worden gelezen.")])

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise UploadError([_("Dit XLSX-bestand kan niet worden gelezen.")]) from error
        rows = [
            [_cell(v) for v in row]
            for row in book.worksheets[0].iter_rows(values_only=True, max_row=max_rows + 2)
        ]
        book.close()
        return rows
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                decoded = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        first = decoded.split("\n", 1)[0]
        delimiter = max(";,\t", key=first.count)
        return [
            [c.strip() for c in row]
            for row in csv.reader(io.StringIO(decoded), delimiter=delimiter)
        ]
    raise UploadError([_("Upload een CSV- of XLSX-bestand.")])


def read_sheet(
    filename: str,
    content: bytes,
    *,
    required: Sequence[str],
    known: Sequence[str],
    max_rows: int,
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header row and every non-empty row below it as (row number, {header: cell}); refused
    with a Dutch message when the file is empty, a required column is missing, a column is
    unknown or there are more than max_rows rows."""
    rows = read_rows(filename, content, max_rows=max_rows)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise UploadError([_("Het bestand is leeg.")])
    header = [h.strip().lower() for h in rows[0]]
    missing = [h for h in required if h not in header]
    if missing:
        raise UploadError(
            [_("De kolom '%(column)s' ontbreekt in de eerste rij.", column=c) for c in missing]
        )
    unknown = [h for h in header if h and h not in known]
    if unknown:
        raise UploadError(
            [_("Onbekende kolom '%(column)s' in de eerste rij.", column=c[:40]) for c in unknown]
        )
    if len(rows) - 1 > max_rows:
        raise UploadError([_("Upload hoogstens %(n)d rijen tegelijk.", n=max_rows)])
    cells = [
        (number, {h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h})
        for number, row in enumerate(rows[1:], start=2)
        if any(row)
    ]
    return header, cells


def row_problem(number: int, column: str, message: str) -> str:
    """One bad row's line in the list of problems."""
    return _(
        "Rij %(row)d, kolom '%(column)s': %(message)s", row=number, column=column, message=message
    )


def duplicate_problem(number: int, column: str, earlier: int) -> str:
    return _(
        "Rij %(row)d, kolom '%(column)s': dezelfde referentie staat al in rij %(earlier)d.",
        row=number,
        column=column,
        earlier=earlier,
    )


def template_csv(headers: Sequence[str], example: dict[str, str]) -> bytes:
    """An upload template as CSV (semicolons, as Dutch spreadsheets write them)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerow([example[header] for header in headers])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(
    headers: Sequence[str], example: dict[str, str], *, title: str, text_columns: Sequence[str]
) -> bytes:
    """An upload template as an XLSX workbook (numbers as numbers, except in text_columns)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(headers))
    sheet.append(
        [
            int(example[h]) if example[h].isdigit() and h not in text_columns else example[h]
            for h in headers
        ]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def clean_rows(
    rows: list[tuple[int, dict[str, str]]],
    clean: Callable[[dict[str, str]], dict[str, Any]],
    headers: dict[str, str],
) -> list[dict[str, Any]]:
    """Clean every row (clean(cells) gives its values, with a 'reference'), collecting one Dutch
    problem per bad cell or repeated reference, naming the spreadsheet row and column; raise
    UploadError with them, or when there are no rows, so that nothing is written."""
    problems: list[str] = []
    cleaned: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        try:
            values = clean(cells)
        except ServiceError as error:
            column = headers.get(error.field or "", error.field or "")
            problems.append(row_problem(number, column, error.message))
        else:
            earlier = seen.setdefault(values["reference"], number)
            if earlier != number:
                problems.append(duplicate_problem(number, headers["reference"], earlier))
            cleaned.append(values)
        if len(problems) >= MAX_UPLOAD_ERRORS:
            break
    if problems:
        raise UploadError(problems)
    if not cleaned:
        raise UploadError([_("Het bestand bevat geen rijen onder de kopregel.")])
    return cleaned
