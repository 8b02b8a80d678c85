"""Check uploaded documents (type by content, safe name, zip-bomb guard) and extract their text."""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from flask_babel import gettext as _
from lxml import etree

from portal.common import ServiceError
from portal.formatting import number as format_number

ALLOWED_KINDS = ("pdf", "docx", "odt", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

MAX_NAME_LENGTH = 200
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_TOTAL = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
ZIP_RATIO_FROM = 1024 * 1024
MAX_ENTRY_READ = 50 * 1024 * 1024
MAX_PDF_PAGES = 5000

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_MB = 1024 * 1024
_READ_CHUNK = 64 * 1024
# Control, format (e.g. right-to-left override), surrogate and line/paragraph separator characters.
_BAD_NAME_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
_EXTENSION_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,7}$")
_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_XLSX_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHEET_RE = re.compile(r"^xl/worksheets/[^/]+\.xml$")


@dataclass(frozen=True)
class CheckedUpload:
    """An accepted upload: its kind (decided by content), content type, clean name and size."""

    kind: str
    content_type: str
    original_name: str
    size: int


def check_upload(filename: str, data: bytes, *, max_bytes: int) -> CheckedUpload:
    """Accept a PDF, DOCX, ODT or XLSX upload or raise ServiceError with a Dutch message."""
    size = len(data)
    if size == 0:
        raise ServiceError(_("Het bestand is leeg."), field="file")
    if size > max_bytes:
        raise ServiceError(
            _("Het bestand is groter dan %(limit)s.", limit=_format_limit(max_bytes)),
            field="file",
            status=413,
        )
    name = _check_name(filename)
    kind = _detect_kind(data)
    return CheckedUpload(
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        original_name=_name_for_kind(name, kind),
        size=size,
    )


def extract_text(kind: str, data: bytes, *, max_chars: int = 500_000) -> tuple[str, bool]:
    """Return (text, readable) for a checked upload; never raise on bad content."""
    extractors = {"pdf": _pdf_parts, "docx": _docx_parts, "odt": _odt_parts, "xlsx": _xlsx_parts}
    extractor = extractors.get(kind)
    if extractor is None or max_chars <= 0:
        return "", False
    pieces: list[str] = []
    budget = max_chars * 2 + 1000  # raw text shrinks when whitespace is normalised
    used = 0
    parts = extractor(data)
    try:
        for piece in parts:
            pieces.append(piece)
            used += len(piece) + 1
            if used >= budget:
                break
    except Exception:  # any failure in a third-party parser means: not readable
        return "", False
    finally:
        parts.close()
    text = _normalise("\n".join(pieces))[:max_chars].rstrip()
    if not text:
        return "", False
    return text, True


def random_storage_name() -> str:
    """Return a random, unguessable file name for storage (32 hex characters, no extension)."""
    return secrets.token_hex(16)


# --- checks ---------------------------------------------------------------------------------


def _format_limit(max_bytes: int) -> str:
    """Format a byte limit for people: '25 MB', '2,5 MB' or '100 kB'."""
    if max_bytes >= _MB:
        return f"{format_number(max_bytes / _MB, '#,##0.#')} MB"
    return f"{format_number(max(1, round(max_bytes / 1024)))} kB"


def _refuse_type() -> ServiceError:
    return ServiceError(
        _("Dit bestandstype is niet toegestaan. Upload een PDF, DOCX, ODT of XLSX."), field="file"
    )


def _refuse_zip() -> ServiceError:
    return ServiceError(
        _("Het bestand lijkt beschadigd of is een zip-bom en wordt geweigerd."), field="file"
    )


def _check_name(filename: str) -> str:
    """Return the NFC-normalised, stripped file name or refuse a path, control characters or ''."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    bad = (
        not name
        or "/" in name
        or "\\" in name
        or ".." in name
        or any(unicodedata.category(ch) in _BAD_NAME_CATEGORIES for ch in name)
    )
    if bad:
        raise ServiceError(
            _("De bestandsnaam mag geen mappen of speciale tekens bevatten."), field="file"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(
            _("De bestandsnaam mag hoogstens %(n)d tekens lang zijn.", n=MAX_NAME_LENGTH),
            field="file",
        )
    name = name.rstrip(". ")
    if not name:
        raise ServiceError(
            _("De bestandsnaam mag geen mappen of speciale tekens bevatten."), field="file"
        )
    return name


def _name_for_kind(name: str, kind: str) -> str:
    """Return name with the extension of kind; refuse an extension that belongs to another type."""
    stem, dot, extension = name.rpartition(".")
    if dot and _EXTENSION_RE.match(extension):
        if extension.lower() != kind:
            raise ServiceError(
                _(
                    "De bestandsnaam (.%(extension)s) past niet bij de inhoud (%(kind)s).",
                    extension=extension.lower(),
                    kind=kind,
                ),
                field="file",
            )
        stem = stem.strip() or "document"
    else:
        stem = name
    stem = stem[: MAX_NAME_LENGTH - len(kind) - 1].rstrip(". ") or "document"
    return f"{stem}.{kind}"


def _detect_kind(data: bytes) -> str:
    """Decide the kind by magic bytes and, for zip files, by their entries."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if not data.startswith(b"PK\x03\x04"):
        raise _refuse_type()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as error:  # BadZipFile, but also struct/OS errors on a mangled directory
        raise _refuse_zip() from error
    with archive:
        _check_zip_headers(archive)
        names = set(archive.namelist())
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise _refuse_type()  # macro-enabled (docm/xlsm) disguised as docx/xlsx
        kinds = []
        if "word/document.xml" in names:
            kinds.append("docx")
        if "xl/workbook.xml" in names:
            kinds.append("xlsx")
        if "mimetype" in names and _read_mimetype(archive) == ODT_MIMETYPE:
            kinds.append("odt")
    if len(kinds) != 1:
        raise _refuse_type()
    return kinds[0]


def _read_mimetype(archive: zipfile.ZipFile) -> bytes:
    """Read at most a few bytes of the ODF 'mimetype' entry."""
    try:
        with archive.open("mimetype") as entry:
            return entry.read(len(ODT_MIMETYPE) + 1)
    except Exception as error:  # encrypted, unsupported compression, bad CRC, ...
        raise _refuse_zip() from error


def _zip_problem(archive: zipfile.ZipFile) -> bool:
    """Tell whether the zip's headers show too many entries, unsafe paths or a zip bomb."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        return True
    total = 0
    for info in infos:
        name = info.filename
        if ".." in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            return True
        if info.file_size < 0 or info.compress_size < 0:
            return True
        total += info.file_size
        if total > MAX_ZIP_TOTAL:
            return True
        if info.file_size > ZIP_RATIO_FROM and (
            info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)
        ):
            return True
    return False


def _check_zip_headers(archive: zipfile.ZipFile) -> None:
    if _zip_problem(archive):
        raise _refuse_zip()


# --- extraction -----------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """Collapse whitespace runs within lines, drop control characters, keep paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        ch if ch == "\n" or unicodedata.category(ch) not in {"Cc", "Cs"} else " " for ch in text
    )
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """Open data as a zip that passes the header checks, or raise ValueError."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    if _zip_problem(archive):
        archive.close()
        raise ValueError("unsafe zip")
    return archive


class _CappedReader:
    """A file-like view on a zip entry that refuses to deliver more than MAX_ENTRY_READ bytes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > _READ_CHUNK:
            size = _READ_CHUNK
        chunk = self._stream.read(size)
        self._read += len(chunk)
        if self._read > MAX_ENTRY_READ:
            raise ValueError("zip entry too large")
        return chunk


def _read_entry(archive: zipfile.ZipFile, name: str) -> bytes:
    """Read one zip entry in chunks, at most MAX_ENTRY_READ bytes."""
    with archive.open(name) as entry:
        reader = _CappedReader(entry)
        chunks = []
        while chunk := reader.read(_READ_CHUNK):
            chunks.append(chunk)
    return b"".join(chunks)


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )


def _iterparse(stream: IO[bytes], tags: tuple[str, ...]) -> Iterator[Any]:
    """Parse stream safely, yielding the end of each element with one of tags."""
    return etree.iterparse(
        _CappedReader(stream),
        events=("end",),
        tag=tags,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
    )


def _pdf_parts(data: bytes) -> Iterator[str]:
    from pypdf import PasswordType, PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        return
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES:
            break
        yield page.extract_text() or ""


def _docx_parts(data: bytes) -> Iterator[str]:
    from docx import Document

    # python-docx reads whole parts itself; the header check bounds what zipfile can inflate.
    with _open_zip(data) as archive:
        if any(info.file_size > MAX_ENTRY_READ for info in archive.infolist()):
            raise ValueError("zip entry too large")
    document = Document(io.BytesIO(data))
    yield from _docx_blocks(document, set())


def _docx_blocks(container: Any, seen: set[Any]) -> Iterator[str]:
    """Yield paragraph texts and table cell texts of a document or cell, in order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    # A merged cell appears once per spanned column; keeping the element in `seen`
                    # keeps its lxml proxy alive, so identity comparison is reliable.
                    if cell._tc in seen:
                        continue
                    seen.add(cell._tc)
                    yield from _docx_blocks(cell, seen)
        else:
            yield block.text


def _odt_parts(data: bytes) -> Iterator[str]:
    with _open_zip(data) as archive:
        content = _read_entry(archive, "content.xml")
    root = etree.fromstring(content, parser=_xml_parser())
    blocks = {f"{{{_ODF_TEXT}}}p", f"{{{_ODF_TEXT}}}h"}
    for element in root.iter(*blocks):
        if any(ancestor.tag in blocks for ancestor in element.iterancestors()):
            continue  # nested paragraphs (notes, frames) are part of their outer paragraph
        yield _odt_text(element, blocks)


def _odt_text(element: Any, blocks: set[str]) -> str:
    """Return the text of an ODF paragraph, with spaces, tabs and line breaks expanded."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == f"{{{_ODF_TEXT}}}s":
            parts.append(" " * max(1, min(int(child.get(f"{{{_ODF_TEXT}}}c", "1")), 100)))
        elif tag in (f"{{{_ODF_TEXT}}}tab", f"{{{_ODF_TEXT}}}line-break"):
            parts.append("\n" if tag.endswith("line-break") else " ")
        elif tag in blocks:
            parts.append("\n" + _odt_text(child, blocks) + "\n")
        elif tag:
            parts.append(_odt_text(child, blocks))
        parts.append(child.tail or "")
    return "".join(parts)


def _xlsx_parts(data: bytes) -> Iterator[str]:
    shared = f"{{{_XLSX_MAIN}}}si"
    inline = f"{{{_XLSX_MAIN}}}is"
    row = f"{{{_XLSX_MAIN}}}row"
    with _open_zip(data) as archive:
        names = archive.namelist()
        if "xl/sharedStrings.xml" in names:
            with archive.open("xl/sharedStrings.xml") as stream:
                for _event, element in _iterparse(stream, (shared,)):
                    yield _xlsx_string(element)
                    _forget(element)
        for name in sorted((n for n in names if _SHEET_RE.match(n)), key=_natural_key):
            with archive.open(name) as stream:
                for _event, element in _iterparse(stream, (inline, row)):
                    if element.tag == inline:
                        yield _xlsx_string(element)
                    else:
                        _forget(element)


def _forget(element: Any) -> None:
    """Free a handled element and its earlier siblings, so a streamed parse stays small."""
    element.clear()
    while element.getprevious() is not None:
        del element.getparent()[0]


def _natural_key(name: str) -> tuple[int, str]:
    """Sort 'sheet2.xml' before 'sheet10.xml'."""
    digits = re.findall(r"\d+", name)
    return (int(digits[-1]) if digits else 0, name)


def _xlsx_string(element: Any) -> str:
    """Return the text of a shared or inline string, without phonetic (rPh) runs."""
    text_tag = f"{{{_XLSX_MAIN}}}t"
    phonetic = f"{{{_XLSX_MAIN}}}rPh"
    return "".join(
        t.text or ""
        for t in element.iter(text_tag)
        if not any(a.tag == phonetic for a in t.iterancestors())
    )
