"""Tables as downloads: a list of rows and typed columns as CSV or XLSX, for any page that shows
a table (lists of items, search results, the monitor). The page decides the rows (only what the
reader may see); this module only writes them.

CSV: UTF-8 with a byte order mark (without it Excel reads UTF-8 as Windows-1252), `;` between
fields and a decimal comma, the way Excel in a Dutch locale writes and opens CSV (the readers of
the portal are Dutch buyers; with `,` such an Excel puts each row in one cell), dates as
YYYY-MM-DD (read as a date in every locale), whole numbers without thousands separators. XLSX
(openpyxl): real numbers and dates, a bold frozen header row, a filter on it, column widths.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

TEXT, INT, DECIMAL, DATE, URL = "text", "int", "decimal", "date", "url"
TYPES = (TEXT, INT, DECIMAL, DATE, URL)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CSV_DELIMITER = ";"
# A spreadsheet runs a cell that starts with one of these as a formula ("CSV injection"): text
# from members is written with a leading apostrophe in CSV and as a plain string in XLSX.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    """One column: its heading (lazily translated: Dutch, or English on English pages), how to
    read its value from a row, and the value's type (TEXT, INT, DECIMAL, DATE or URL)."""

    heading: Any
    value: Callable[[Any], Any]
    type: str = TEXT
    places: int = 2  # decimals shown for DECIMAL

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown column type {self.type!r}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


def _csv_cell(column: Column, value: Any) -> str:
    if value is None or value == "":
        return ""
    if column.type == INT:
        return str(int(value))
    if column.type == DECIMAL:
        # Rounded half up, as the spreadsheet shows the XLSX's number (Python's own rounds to even).
        step = Decimal(1).scaleb(-column.places)
        return str(Decimal(str(value)).quantize(step, ROUND_HALF_UP)).replace(".", ",")
    if column.type == DATE:
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    text = _text(value)
    return "'" + text if column.type == TEXT and text.startswith(FORMULA_START) else text


def to_csv(rows: Iterable[Any], columns: Sequence[Column]) -> bytes:
    """The rows as CSV bytes (see the module's notes for the dialect)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([str(c.heading) for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(c, c.value(row)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_value(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.type == INT:
        return int(value)
    if column.type == DECIMAL:
        return float(value)
    if column.type == DATE:
        return value.date() if isinstance(value, datetime) else value
    return _text(value)


def to_xlsx(rows: Iterable[Any], columns: Sequence[Column], title: str = "Export") -> bytes:
    """The rows as an XLSX workbook of one sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(title)
    bold = Font(bold=True)
    widths = [len(str(c.heading)) for c in columns]
    for number, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=number, value=str(column.heading))
        cell.font = bold
        cell.data_type = "s"
    formats = {INT: "0", DECIMAL: None, DATE: "yyyy-mm-dd"}
    row_number = 1
    for row in rows:
        row_number += 1
        for number, column in enumerate(columns, start=1):
            value = _xlsx_value(column, column.value(row))
            cell = sheet.cell(row=row_number, column=number, value=value)
            if value is None:
                continue
            if column.type in (TEXT, URL):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            if column.type == URL:
                cell.hyperlink = value
                cell.style = "Hyperlink"
            elif column.type == DECIMAL:
                cell.number_format = "0." + "0" * column.places if column.places else "0"
            elif formats.get(column.type):
                cell.number_format = formats[column.type]
            shown = 10 if column.type == DATE else len(_text(value))
            widths[number - 1] = max(widths[number - 1], shown)
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{row_number}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return cleaned[:31] or "Export"


def export_response(
    file_format: str, rows: Iterable[Any], columns: Sequence[Column], name: str, title: str = ""
) -> Response:
    """The download of rows in file_format ("csv" or "xlsx") as name.csv or name.xlsx."""
    if file_format == "csv":
        body = to_csv(rows, columns)
    elif file_format == "xlsx":
        body = to_xlsx(rows, columns, title or name)
    else:
        raise ValueError(f"unknown export format {file_format!r}")
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in name)
    response = Response(body, mimetype=FORMATS[file_format].split(";")[0])
    response.headers["Content-Type"] = FORMATS[file_format]
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}.{file_format}"'
    return response


def dated_name(stem: str, today: date | None = None) -> str:
    """stem-YYYY-MM-DD: a file name that says when it was downloaded."""
    return f"{stem}-{(today or date.today()).isoformat()}"
