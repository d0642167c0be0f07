"""Hostile spreadsheets (issue 10, items 1 and 2): refused with a message naming the limit, read in
a child process whose memory is capped, never taking the server down or saving anything.

The files are written by hand (XML in a zip, BIFF records in a compound file) so that each one is
exactly the hostile shape: a corner cell at XFD1048576, a compression bomb, a declared size that
lies, cells that carry no reference.
"""

import io
import struct
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from basedata.models import DictItem, SystemParameter
from basedata.parameters import clear_cache
from core.importing import read_header, read_table, run_import
from core.models import ImportJob
from customers.importing.runner import run_customer_import
from customers.models import Customer

pytestmark = pytest.mark.django_db

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET = "xl/worksheets/sheet1.xml"


def cell(ref, text):
    attribute = f' r="{ref}"' if ref else ""
    return f'<c{attribute} t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows, dimension=None):
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{head}<sheetData>{rows}</sheetData></worksheet>'
    )


def xlsx(sheet, extra=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr(SHEET, sheet)
        for name, content in extra:
            archive.writestr(name, content)
    return buffer.getvalue()


def table(rows, dimension=None):
    """An XLSX of rows of texts with references (A1, B1, …)."""
    xml = "".join(
        f'<row r="{r}">' + "".join(cell(f"{chr(65 + c)}{r}", text) for c, text in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, 1)
    )
    return xlsx(sheet_xml(xml, dimension))


def corner(dimension="A1:XFD1048576", reference="XFD1048576", spelling='r="{}"'):
    """The issue's 1.5 KB file: 客户名称 in A1, Corner Co in A2, one cell at XFD1048576."""
    far = f'<c {spelling.format(reference)} t="inlineStr"><is><t>x</t></is></c>'
    rows = f'<row r="1">{cell("A1", "客户名称")}</row><row r="2">{cell("A2", "Corner Co")}</row><row>{far}</row>'
    return xlsx(sheet_xml(rows, dimension))


def bomb(rows=6000):
    """Identical rows without references compress ~230 to 1, like the issue's 275 KB → 64 MB file."""
    row = "<row>" + cell(None, "Bomb Co") * 7 + "</row>"
    return xlsx(sheet_xml(f'<row r="1">{cell("A1", "客户名称")}</row>' + row * rows))


def with_declared_size(data, member, size):
    """The archive with `member`'s uncompressed size rewritten in both headers (CRC left as it was)."""
    data = bytearray(data)
    struct.pack_into("<I", data, zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(member).header_offset + 22, size)
    central = struct.unpack_from("<I", data, bytes(data).rindex(b"PK\x05\x06") + 16)[0]
    while data[central : central + 4] == b"PK\x01\x02":
        length, extra, comment = struct.unpack_from("<HHH", data, central + 28)
        if data[central + 46 : central + 46 + length].decode() == member:
            struct.pack_into("<I", data, central + 24, size)
        central += 46 + length + extra + comment
    return bytes(data)


def _record(kind, data=b""):
    return struct.pack("<HH", kind, len(data)) + data


def xls(cells):
    """A minimal BIFF8 workbook in a compound file: one sheet, one LABEL record per (row, column, text)."""

    def bof(kind):
        return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0, 1997, 0, 6))

    sheet = bof(0x0010)
    for row, column, text in cells:
        sheet += _record(0x0204, struct.pack("<HHHHB", row, column, 0, len(text), 1) + text.encode("utf-16-le"))
    sheet += _record(0x000A)

    def book(offset):
        name = "Sheet1".encode("utf-16-le")
        return bof(0x0005) + _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, 6, 1) + name) + _record(0x000A)

    stream = book(len(book(0))) + sheet
    stream = stream.ljust(4096, b"\x00")  # a short stream would live in the mini stream
    stream += b"\x00" * (-len(stream) % 512)
    sectors = len(stream) // 512
    fat = [0xFFFFFFFD, 0xFFFFFFFE, *range(3, 2 + sectors), 0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))

    def entry(name, kind, child, start, size):
        raw = (name + "\x00").encode("utf-16-le") if name else b""
        fields = struct.pack("<HBBIII", len(raw), kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child)
        return raw.ljust(64, b"\x00") + fields + b"\x00" * 36 + struct.pack("<IQ", start, size)

    directory = entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry("Workbook", 2, 0xFFFFFFFF, 2, len(stream))
    directory += entry("", 0, 0xFFFFFFFF, 0, 0) * 2
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
    header += b"\x00" * 6 + struct.pack("<9I", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    header += struct.pack("<I", 0) + b"\xff" * 4 * 108
    return header + struct.pack("<128I", *fat) + directory + stream


def set_limit(key, value):
    SystemParameter.objects.filter(key=key).update(value=str(value))
    clear_cache()


def refusal(content, name="c.xlsx", reader=read_table):
    with pytest.raises(ValidationError) as caught:
        reader(io.BytesIO(content), name)
    [message] = caught.value.messages
    return caught.value.code, message


# --- item 1: a spreadsheet cannot exhaust memory -------------------------------------------------
def test_the_issues_corner_cell_file_is_refused_by_its_declared_dimension():
    content = corner()
    assert len(content) < 2000
    code, message = refusal(content)
    assert code == "columns"
    assert "more than 200 columns" in message and "column XFD" in message


@pytest.mark.parametrize("reference", ["XFD1048576", "xfd1048576", "GS2"])
def test_a_far_cell_is_found_among_the_cells_when_no_dimension_is_declared(reference):
    code, message = refusal(corner(dimension=None, reference=reference))
    assert code == "columns" and "200 columns" in message


def test_a_cell_far_below_the_data_is_refused_by_the_row_limit():
    code, message = refusal(corner(dimension=None, reference="A1048576"))
    assert code == "rows"
    assert "more than 200,000 rows" in message and "row 1,048,576" in message


def test_a_corner_cell_the_checks_do_not_see_kills_only_the_reading_process():
    # `r ="…"` is legal XML that the fast reference search skips: calamine then asks for 512 GiB,
    # which fails at once under the child's RLIMIT_AS. This process (the test) lives on.
    set_limit("import_read_memory_mb", 512)
    code, message = refusal(corner(dimension=None, spelling='r ="{}"'))
    assert code == "memory"
    assert "more than 512 MB of memory" in message


def test_the_column_limit_is_a_parameter():
    set_limit("import_max_columns", 3)
    code, message = refusal(table([["a", "b", "c", "d"], ["1", "2", "3", "4"]]))
    assert code == "columns" and "more than 3 columns (column D is used)" in message
    header, rows = read_table(io.BytesIO(table([["a", "b", "c"], ["1", "2", "3"]])), "ok.xlsx")
    assert header == ["a", "b", "c"] and rows == [(2, ["1", "2", "3"])]


def test_cells_without_references_are_counted_before_any_becomes_a_python_object():
    set_limit("import_max_columns", 3)
    rows = '<row r="1">' + cell("A1", "name") + "</row><row>" + cell(None, "x") * 5 + "</row>"
    code, message = refusal(xlsx(sheet_xml(rows)))
    assert code == "columns" and "column E" in message


def test_the_row_limit_is_a_parameter():
    set_limit("import_max_rows", 3)
    code, message = refusal(table([["name"], ["a"], ["b"], ["c"], ["d"]]))
    assert code == "rows" and "more than 3 rows of data (row 5 is used)" in message
    assert len(read_table(io.BytesIO(table([["name"], ["a"], ["b"], ["c"]])), "ok.xlsx")[1]) == 3


def test_csv_has_the_row_and_column_limits_too():
    set_limit("import_max_rows", 2)
    set_limit("import_max_columns", 2)
    assert refusal(b"name,code\na,1\nb,2\nc,3\n", "c.csv")[0] == "rows"
    assert refusal(b"\n" * 10 + b"name\n", "c.csv")[0] == "rows"  # blank lines count: no list of a million []
    assert refusal(b"name,code,x\na,1,2\n", "c.csv")[0] == "columns"
    # Excel pads a CSV's rows with commas up to its used range: empty fields past the limit are dropped.
    assert read_table(io.BytesIO(b"name,code,,,\na,1,,,\n"), "c.csv") == (["name", "code"], [(2, ["a", "1"])])


def test_xls_dimensions_are_checked_before_reading_and_a_huge_one_kills_only_the_child():
    assert read_table(io.BytesIO(xls([(0, 0, "客户名称"), (1, 0, "Corner Co")])), "c.xls") == (
        ["客户名称"],
        [(2, ["Corner Co"])],
    )
    code, message = refusal(xls([(0, 0, "客户名称"), (1, 0, "Corner Co"), (1, 300, "x")]), "c.xls")
    assert code == "columns" and "column KO" in message
    # calamine reads an .xls whole when it opens it: 65,536 × 65,536 cells fail in the child.
    code, _message = refusal(xls([(0, 0, "客户名称"), (65535, 65535, "x")]), "c.xls")
    assert code == "memory"


def test_leading_empty_rows_and_columns_keep_row_numbers_and_alignment():
    rows = f'<row r="1">{cell("B1", "name")}{cell("C1", "code")}</row><row r="3">{cell("C3", "7")}</row>'
    assert read_table(io.BytesIO(xlsx(sheet_xml(rows))), "c.xlsx") == (["name", "code"], [(3, ["", "7"])])


def test_read_header_makes_every_check_but_keeps_the_rows_in_the_child():
    assert read_header(io.BytesIO(table([["name", "code"], ["a", "1"]])), "c.xlsx") == ["name", "code"]
    set_limit("import_max_rows", 1)
    assert refusal(table([["name"], ["a"], ["b"]]), reader=read_header)[0] == "rows"
    assert refusal(table([["name"]]), reader=read_header)[0] == "empty"


# --- item 2: compression bombs are refused -------------------------------------------------------
def test_a_compression_bomb_is_refused_by_its_ratio_before_parsing():
    content = bomb()
    inflated = zipfile.ZipFile(io.BytesIO(content)).getinfo(SHEET).file_size
    assert inflated > 100 * len(content) and inflated > 1 << 20
    code, message = refusal(content)
    assert code == "ratio" and "beyond the 100 to 1" in message


def test_the_unpacked_size_limit_is_a_parameter():
    set_limit("import_max_unpacked_mb", 1)
    rows = [["name", "code"]] + [[f"Company {i * 7919 % 100003}", str(i * 31337)] for i in range(25000)]
    content = table(rows)
    assert zipfile.ZipFile(io.BytesIO(content)).getinfo(SHEET).file_size > 1 << 20
    code, message = refusal(content)
    assert code == "unpacked" and "more than 1 MB" in message


def test_a_declared_size_that_lies_is_not_believed():
    set_limit("import_max_unpacked_mb", 1)
    rows = [["name", "code"]] + [[f"Company {i * 7919 % 100003}", str(i * 31337)] for i in range(25000)]
    content = with_declared_size(table(rows), SHEET, 1000)
    assert zipfile.ZipFile(io.BytesIO(content)).getinfo(SHEET).file_size == 1000
    assert refusal(content)[0] == "unpacked"


def test_too_many_members_are_refused():
    content = xlsx(sheet_xml(f'<row r="1">{cell("A1", "name")}</row>'), [(f"x/{i}.xml", "") for i in range(1000)])
    code, message = refusal(content)
    assert code == "members" and "at most 1,000" in message


# --- through the API, the web form and the import job ---------------------------------------------
HOSTILE = {
    "corner": corner(),
    "corner-unseen": corner(dimension=None, spelling='r ="{}"'),
    "bomb": bomb(),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_customer_import_api_answers_400_and_saves_nothing(alice, api, kind):
    response = api("alice").post(
        "/api/v1/customers/import/", {"file": SimpleUploadedFile(f"{kind}.xlsx", HOSTILE[kind])}
    )
    assert response.status_code == 400
    [message] = response.json()["errors"]["file"]
    assert {"corner": "200 columns", "corner-unseen": "MB of memory", "bomb": "compression bomb"}[kind] in message
    assert not ImportJob.objects.exists() and not Customer.objects.exists()


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_web_import_forms_answer_400_and_save_nothing(admin_user, web, kind):
    client, items = web("admin"), DictItem.objects.count()
    for url in ("/customers/customers/import/", "/basedata/dictionary-items/import/"):
        data = {"file": SimpleUploadedFile(f"{kind}.xlsx", HOSTILE[kind]), "duplicate_strategy": "skip"}
        response = client.post(url, {**data, "target": "me"})
        assert response.status_code == 400
        assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists() and not Customer.objects.exists() and DictItem.objects.count() == items


@pytest.mark.parametrize(
    "runner, label", [(run_customer_import, "customers.customer"), (run_import, "basedata.dictitem")]
)
def test_an_import_job_whose_file_is_over_a_limit_fails_with_the_message(alice, runner, label, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    items = DictItem.objects.count()
    job = ImportJob.objects.create(
        model_label=label,
        file=ContentFile(HOSTILE["corner-unseen"], "c.xlsx"),
        original_name="c.xlsx",
        created_by=alice,
    )
    runner(job, user=alice, commit=False)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "MB of memory" in job.message
    assert not Customer.objects.exists() and DictItem.objects.count() == items
