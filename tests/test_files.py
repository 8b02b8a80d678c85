"""Upload checks (type by content, safe names, zip bombs) and text extraction; samples built here."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx import Document
from pypdf import PdfReader, PdfWriter

from portal.common import ServiceError
from portal.content import files
from portal.content.files import (
    ALLOWED_KINDS,
    CONTENT_TYPES,
    CheckedUpload,
    check_upload,
    extract_text,
    random_storage_name,
)
from portal.seeding import demo_pdf

MB = 1024 * 1024
LIMIT = 25 * MB

ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
XLSX_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


# --- sample builders ------------------------------------------------------------------------


def make_pdf(text: str | None = "Gunning op MKI asfalt") -> bytes:
    """A one-page PDF with one Helvetica text line (or none), made by the seed's PDF writer."""
    return demo_pdf([] if text is None else [text])


def make_encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password=user_password, owner_password="eigenaar", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(*, paragraph: str = "Duurzaam inkopen van asfalt") -> bytes:
    document = Document()
    document.add_heading("Marktconsultatie", level=1)
    document.add_paragraph(paragraph)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Criterium"
    table.cell(0, 1).text = "Weging"
    table.cell(1, 0).text = "CO2-prestatieladder"
    table.cell(1, 1).text = "30 procent"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_zip(entries: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first, entries[stored_first], zipfile.ZIP_STORED)
        for name, body in entries.items():
            if name != stored_first:
                archive.writestr(name, body)
    return out.getvalue()


def make_odt(
    body: str = '<text:h text:outline-level="1">Circulaire   kop</text:h>'
    '<text:p>Circulair<text:s text:c="3"/>bouwen<text:tab/>met hout</text:p>'
    "<text:p>Tweede <text:span>alinea</text:span></text:p>",
    mimetype: bytes = files.ODT_MIMETYPE,
) -> bytes:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} '
        f'office:version="1.2"><office:body><office:text>{body}</office:text></office:body>'
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="'
        f'{mimetype.decode()}"/></manifest:manifest>'
    )
    return make_zip(
        {
            "mimetype": mimetype,
            "content.xml": content.encode(),
            "META-INF/manifest.xml": manifest.encode(),
        },
        stored_first="mimetype",
    )


def make_xlsx() -> bytes:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types '
        'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {XLSX_NS} '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst {XLSX_NS} count="2" uniqueCount="2">'
        "<si><t>Leverancier</t></si>"
        "<si><r><t>Emissie</t></r><r><t>loos</t></r><rPh><t>fonetisch</t></rPh></si>"
        "</sst>"
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {XLSX_NS}><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Bouwbedrijf Jansen</t></is></c>'
        '<c r="B2"><v>42</v></c></row>'
        "</sheetData></worksheet>"
    )
    return make_zip(
        {
            "[Content_Types].xml": content_types.encode(),
            "xl/workbook.xml": workbook.encode(),
            "xl/sharedStrings.xml": shared.encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )


def refused(filename: str, data: bytes, max_bytes: int = LIMIT) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        check_upload(filename, data, max_bytes=max_bytes)
    assert caught.value.field == "file"
    return caught.value


# --- accepted uploads -----------------------------------------------------------------------


def test_hand_made_pdf_is_valid_for_pypdf():
    reader = PdfReader(io.BytesIO(make_pdf()), strict=True)
    assert len(reader.pages) == 1


@pytest.mark.parametrize(
    ("filename", "builder", "kind"),
    [
        ("Advies MKI.pdf", make_pdf, "pdf"),
        ("Inkoopstrategie.docx", make_docx, "docx"),
        ("Notitie.odt", make_odt, "odt"),
        ("Leveranciers.xlsx", make_xlsx, "xlsx"),
    ],
)
def test_kind_is_detected_from_content(filename, builder, kind):
    data = builder()
    upload = check_upload(filename, data, max_bytes=LIMIT)
    assert upload == CheckedUpload(
        kind=kind, content_type=CONTENT_TYPES[kind], original_name=filename, size=len(data)
    )
    assert upload.kind in ALLOWED_KINDS


def test_content_types_are_the_official_ones():
    assert CONTENT_TYPES["pdf"] == "application/pdf"
    assert CONTENT_TYPES["odt"] == "application/vnd.oasis.opendocument.text"
    assert CONTENT_TYPES["docx"].endswith("wordprocessingml.document")
    assert CONTENT_TYPES["xlsx"].endswith("spreadsheetml.sheet")
    assert set(CONTENT_TYPES) == set(ALLOWED_KINDS)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("Rapport.PDF", "Rapport.pdf"),
        ("  Rapport.pdf  ", "Rapport.pdf"),
        ("Rapport", "Rapport.pdf"),
        ("Besluit 12.3", "Besluit 12.3.pdf"),
        ("Rapport.pdf.", "Rapport.pdf"),
        (".pdf", "document.pdf"),
        ("Coo\u0308rdinatie.pdf", "Coördinatie.pdf"),
    ],
)
def test_name_is_cleaned_and_gets_the_right_extension(filename, expected):
    assert check_upload(filename, make_pdf(), max_bytes=LIMIT).original_name == expected


def test_long_name_without_extension_stays_within_200_characters():
    name = check_upload("a" * 200, make_pdf(), max_bytes=LIMIT).original_name
    assert len(name) == 200
    assert name.endswith(".pdf")


def test_file_of_exactly_max_bytes_is_accepted():
    data = make_pdf()
    assert check_upload("a.pdf", data, max_bytes=len(data)).size == len(data)


# --- refused uploads ------------------------------------------------------------------------


def test_empty_file_is_refused():
    error = refused("leeg.pdf", b"")
    assert error.status == 400
    assert error.message == "Het bestand is leeg."


def test_too_large_file_is_refused_with_413_and_the_limit():
    error = refused("groot.pdf", make_pdf() + b"\0" * 10, max_bytes=200)
    assert error.status == 413
    assert "groter dan" in error.message
    error = refused("groot.pdf", b"%PDF-" + b"0" * (25 * MB), max_bytes=LIMIT)
    assert error.status == 413
    assert error.message == "Het bestand is groter dan 25 MB."


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd.pdf",
        "map/bestand.pdf",
        "c:\\temp\\x.pdf",
        "/bestand.pdf",
        "rapport..pdf",
        "nul\x00byte.pdf",
        "regel\neinde.pdf",
        "tab\tje.pdf",
        "omgekeerd\u202efdp.exe",
        "",
        "   ",
        "...",
    ],
)
def test_names_with_paths_or_special_characters_are_refused(filename):
    error = refused(filename, make_pdf())
    assert error.status == 400
    assert "mappen of speciale tekens" in error.message


def test_name_longer_than_200_characters_is_refused():
    error = refused("a" * 197 + ".pdf", make_pdf())
    assert error.status == 400
    assert "200 tekens" in error.message


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 100,
        b"\x7fELF\x02\x01\x01" + b"\0" * 100,
        b"#!/bin/sh\nrm -rf /\n",
        b"<html><script>alert(1)</script></html>",
        b"Gewone tekst",
        b"  %PDF-1.4 met spaties ervoor",
    ],
)
def test_other_content_renamed_to_pdf_is_refused(data):
    error = refused("factuur.pdf", data)
    assert error.status == 400
    assert "niet toegestaan" in error.message


@pytest.mark.parametrize(
    "data",
    [
        make_zip({"readme.txt": b"geen kantoordocument"}),
        make_odt(mimetype=b"application/vnd.oasis.opendocument.spreadsheet"),
        make_zip({"word/document.xml": b"<w/>", "word/vbaProject.bin": b"macro"}),
        make_zip({"word/document.xml": b"<w/>", "xl/workbook.xml": b"<x/>"}),
    ],
)
def test_zip_that_is_no_allowed_office_document_is_refused(data):
    assert "niet toegestaan" in refused("document.docx", data).message


def test_docx_named_pdf_is_refused_as_mismatch():
    error = refused("rapport.pdf", make_docx())
    assert error.status == 400
    assert error.message == "De bestandsnaam (.pdf) past niet bij de inhoud (docx)."


def test_pdf_named_exe_is_refused_as_mismatch():
    assert "past niet" in refused("setup.exe", make_pdf()).message


def zip_with(**extra: bytes) -> bytes:
    return make_zip({"word/document.xml": b"<w:document/>", **extra})


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"kapot" * 50,
        zip_with(**{"word/media/nullen.bin": b"\0" * (5 * MB)}),
        make_zip({"word/document.xml": b"<w/>", "../buiten.txt": b"x"}),
        make_zip({"word/document.xml": b"<w/>", "/etc/cron.d/x": b"x"}),
        make_zip({"word/document.xml": b"<w/>", **{f"f{n}.txt": b"" for n in range(2001)}}),
    ],
    ids=["corrupt", "bomb", "dotdot", "absolute", "entries"],
)
def test_broken_or_dangerous_zip_is_refused(data):
    error = refused("bom.docx", data)
    assert error.status == 400
    assert "zip-bom" in error.message


def test_zip_with_too_much_uncompressed_data_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_ZIP_TOTAL", 1000)
    assert "zip-bom" in refused("groot.docx", zip_with(**{"word/a.xml": b"a" * 1001})).message


def test_bomb_detection_reads_headers_only(monkeypatch):
    def no_reading(*args, **kwargs):
        raise AssertionError("check_upload must not decompress entries")

    monkeypatch.setattr(zipfile.ZipFile, "read", no_reading)
    bomb = zip_with(**{"word/media/nullen.bin": b"\0" * (5 * MB)})
    assert "zip-bom" in refused("bom.docx", bomb).message


# --- text extraction ------------------------------------------------------------------------


def test_pdf_text_is_extracted():
    text, readable = extract_text("pdf", make_pdf())
    assert readable
    assert "Gunning op MKI asfalt" in text


def test_pdf_with_only_owner_password_is_readable():
    text, readable = extract_text("pdf", make_encrypted_pdf(user_password=""))
    assert readable
    assert "MKI" in text


def test_encrypted_pdf_is_accepted_but_unreadable():
    data = make_encrypted_pdf("geheim")
    assert check_upload("geheim.pdf", data, max_bytes=LIMIT).kind == "pdf"
    assert extract_text("pdf", data) == ("", False)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\nkapot",
        make_pdf()[:200],
        make_pdf(text=None),  # a page without text, like a scanned document
    ],
)
def test_broken_or_textless_pdf_is_unreadable(data):
    assert extract_text("pdf", data) == ("", False)


def test_docx_paragraphs_and_table_cells_are_extracted():
    text, readable = extract_text("docx", make_docx())
    assert readable
    for words in ("Marktconsultatie", "Duurzaam inkopen van asfalt", "CO2-prestatieladder"):
        assert words in text
    assert "30 procent" in text
    assert text.index("Duurzaam") < text.index("Criterium")


def test_docx_merged_cell_text_appears_once():
    document = Document()
    table = document.add_table(rows=1, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Samengevoegd"
    out = io.BytesIO()
    document.save(out)
    assert extract_text("docx", out.getvalue()) == ("Samengevoegd", True)


def test_odt_headings_and_paragraphs_are_extracted():
    text, readable = extract_text("odt", make_odt())
    assert readable
    assert text.split("\n") == ["Circulaire kop", "Circulair bouwen met hout", "Tweede alinea"]


def test_xlsx_shared_and_inline_strings_are_extracted():
    text, readable = extract_text("xlsx", make_xlsx())
    assert readable
    assert text.split("\n") == ["Leverancier", "Emissieloos", "Bouwbedrijf Jansen"]


def test_xml_entities_are_not_expanded():
    body = "<text:p>Veilig</text:p><text:p>&xxe;</text:p>"
    content = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<office:document-content {ODF_NS}><office:body><office:text>{body}"
        "</office:text></office:body></office:document-content>"
    )
    data = make_zip(
        {"mimetype": files.ODT_MIMETYPE, "content.xml": content.encode()}, stored_first="mimetype"
    )
    text, _readable = extract_text("odt", data)
    assert "root:" not in text


@pytest.mark.parametrize("kind", ALLOWED_KINDS)
def test_garbage_never_raises(kind):
    for data in (b"", b"PK\x03\x04rommel", b"%PDF-rommel", make_zip({"a.txt": b"a"})):
        assert extract_text(kind, data) == ("", False)


def test_unknown_kind_is_unreadable():
    assert extract_text("exe", make_pdf()) == ("", False)


def test_text_is_capped_at_max_chars():
    text, readable = extract_text("docx", make_docx(paragraph="woord " * 1000), max_chars=50)
    assert readable
    assert len(text) <= 50
    assert text.startswith("Marktconsultatie")


def test_whitespace_is_normalised_but_paragraphs_stay():
    data = make_odt(body="<text:p>  een \t  twee  </text:p><text:p></text:p><text:p>drie</text:p>")
    assert extract_text("odt", data) == ("een twee\n\ndrie", True)


def test_whitespace_only_text_is_unreadable():
    assert extract_text("odt", make_odt(body="<text:p>   </text:p>")) == ("", False)


def test_large_zip_entries_are_not_read_past_the_cap(monkeypatch):
    monkeypatch.setattr(files, "MAX_ENTRY_READ", 100)
    body = "<text:p>" + "lang " * 100 + "</text:p>"
    assert extract_text("odt", make_odt(body=body)) == ("", False)
    assert extract_text("docx", make_docx()) == ("", False)
    assert extract_text("xlsx", make_xlsx()) == ("", False)


def test_zip_bomb_is_not_extracted():
    bomb = make_zip({"mimetype": files.ODT_MIMETYPE, "content.xml": b" " * (5 * MB)})
    assert extract_text("odt", bomb) == ("", False)


# --- storage names --------------------------------------------------------------------------


def test_random_storage_name_is_32_hex_characters_without_extension():
    names = {random_storage_name() for _ in range(20)}
    assert len(names) == 20
    assert all(re.fullmatch(r"[0-9a-f]{32}", name) for name in names)
