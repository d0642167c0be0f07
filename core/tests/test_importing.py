"""Import engine through the web: template, upload checks, dry run report, confirm."""

import io
import re
import zipfile

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from accounts.models import AuditEntry
from basedata.models import DictItem
from basedata.tests.factories import make_item, make_type
from core.models import ImportJob

pytestmark = pytest.mark.django_db

URL = "/basedata/dictionary-items/import/"
HEADER = ["dictionary", "code", "Chinese label", "English label", "order", "enabled"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def colour():
    return make_type(code="colour")


def xlsx_bytes(rows):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def upload(client, name, content, **extra):
    return client.post(URL, {"file": SimpleUploadedFile(name, content), **extra})


def job_page(client, job):
    return client.get(f"{URL}{job.pk}/")


def test_template_is_an_xlsx_with_header_and_dropdowns(colour, web):
    response = web("admin").get(URL + "template/")
    assert response.status_code == 200
    assert 'filename="dictionary-items-template-' in response["Content-Disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names[0] == "data"
    header = book.get_sheet_by_name("data").to_python()[0]
    assert len(header) == 6
    # Required columns are starred; columns with a default are not.
    assert header[0].endswith(" *") and header[1].endswith(" *")
    assert not header[4].endswith("*") and not header[5].endswith("*")
    lists = book.get_sheet_by_name("lists").to_python()
    assert "colour" in [row[0] for row in lists]  # dictionary codes offered in column A
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    validations = re.findall(r'<dataValidation [^>]*type="list"[^>]*sqref="([A-Z]+)2:', sheet_xml)
    assert "A" in validations  # dictionary
    assert "F" in validations  # enabled: yes / no


def test_the_template_header_itself_is_accepted(colour, web, django_capture_on_commit_callbacks):
    client = web("admin")
    template = client.get(URL + "template/").content
    header = CalamineWorkbook.from_filelike(io.BytesIO(template)).get_sheet_by_name("data").to_python()[0]
    content = xlsx_bytes([header, ["colour", "teal", "青", "Teal", 3, "是"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "teal.xlsx", content)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.status, job.valid_rows, job.errors) == ("checked", 1, [])


def test_check_reports_bad_rows_then_confirm_imports_the_good_ones(colour, web, django_capture_on_commit_callbacks):
    client = web("admin")
    content = xlsx_bytes(
        [
            HEADER,
            ["colour", "red", "红", "Red", 1, "yes"],
            ["colour", "green", "绿", "Green", 2, "yes"],
            ["no_such_type", "x", "某", "X", 3, "yes"],
            ["colour", "blue", "蓝", "Blue", 4, ""],
            ["colour", "red", "又红", "Red again", 5, "yes"],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "colours.xlsx", content)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{URL}{job.pk}/"
    assert job.created_by.username == "admin"
    assert (job.status, job.total_rows, job.valid_rows) == ("checked", 5, 3)
    assert sorted(e["row"] for e in job.errors) == [4, 6]
    errors = {e["row"]: e for e in job.errors}
    assert "no_such_type" in errors[4]["message"]
    assert "row 2" in errors[6]["message"]
    assert not DictItem.objects.filter(type=colour).exists()  # the check saves nothing

    page = job_page(client, job).content.decode()
    assert 'data-status="checked"' in page
    assert '<div class="h2 mb-0" id="valid-rows">3</div>' in page
    assert 'id="import-errors"' in page and "no_such_type" in page
    assert 'id="confirm-import"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}{job.pk}/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_rows) == ("done", 3)
    items = {i.code: i for i in DictItem.objects.filter(type=colour)}
    assert set(items) == {"red", "green", "blue"}
    assert items["red"].label_zh == "红" and items["red"].enabled
    assert items["blue"].enabled is False  # an empty boolean cell means "no"
    assert items["red"].created_by.username == "admin"
    entry = AuditEntry.objects.get(action="import", content_type__model="dictitem")
    assert entry.object_repr == "colours.xlsx"
    assert entry.source == "import"
    assert entry.message.startswith("3 created")
    assert AuditEntry.objects.filter(action="create", content_type__model="dictitem").count() == 3
    assert 'id="created-rows">3<' in job_page(client, job).content.decode()

    # Confirming again (double click, second tab) imports nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}{job.pk}/")
    assert DictItem.objects.filter(type=colour).count() == 3


def test_rows_clashing_with_existing_items_are_reported(colour, web, django_capture_on_commit_callbacks):
    make_item(colour, "red")
    content = xlsx_bytes([HEADER, ["colour", "red", "红", "Red", 1, "yes"], ["colour", "pink", "粉", "Pink", 2, "1"]])
    with django_capture_on_commit_callbacks(execute=True):
        upload(web("admin"), "c.xlsx", content)
    job = ImportJob.objects.get()
    assert job.valid_rows == 1
    [error] = job.errors
    assert error["row"] == 2 and "red" in error["message"]


def test_optional_columns_may_be_left_out(colour, web, django_capture_on_commit_callbacks):
    content = xlsx_bytes([["dictionary", "code", "Chinese label", "English label"], ["colour", "red", "红", "Red"]])
    client = web("admin")
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "c.xlsx", content)
    job = ImportJob.objects.get()
    assert job.valid_rows == 1, job.errors
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}{job.pk}/")
    item = DictItem.objects.get(type=colour, code="red")
    assert item.enabled is True and item.order == 0  # model defaults, not "unticked"


def test_csv_in_gbk_is_accepted(colour, web, django_capture_on_commit_callbacks):
    content = "dictionary,code,Chinese label,English label\ncolour,red,红色,Red\n".encode("gb18030")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(web("admin"), "c.csv", content)
    assert response.status_code == 302
    assert ImportJob.objects.get().valid_rows == 1


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("notes.txt", b"dictionary,code\ncolour,red\n", "Only .xlsx, .xls and .csv"),
        ("renamed.xlsx", b"dictionary,code,Chinese label,English label\ncolour,red,r,R\n", "not an Excel workbook"),
        ("zip.xlsx", b"PK\x03\x04 this is not really a workbook", "could not be read"),
        ("binary.csv", b"PK\x03\x04\x00\x00", "not a text file"),
        ("header.csv", b"dictionary,code,Chinese label,English label\n", "no data rows"),
        (
            "cols.csv",
            b"dictionary,code,Chinese label,English label,colour\ncolour,a,b,c,d\n",
            "Unknown columns",
        ),
        ("missing.csv", b"dictionary,code\ncolour,red\n", "Missing required columns"),
    ],
)
def test_bad_uploads_get_a_field_error_and_create_no_job(colour, web, name, content, fragment):
    response = upload(web("admin"), name, content)
    assert response.status_code == 400
    assert fragment in response.content.decode()
    assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


def test_empty_file_is_refused(colour, web):
    response = upload(web("admin"), "empty.xlsx", b"")
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


def test_too_large_file_is_refused(colour, web, settings):
    settings.CRM_IMPORT_MAX_BYTES = 100
    content = xlsx_bytes([HEADER, ["colour", "red", "红", "Red", 1, "yes"]])
    assert len(content) > 100
    response = upload(web("admin"), "big.xlsx", content)
    assert response.status_code == 400
    [message] = response.context["form"].errors["file"]
    assert "too large" in message and "limit" in message
    assert not ImportJob.objects.exists()


def test_import_needs_import_and_add_permissions(colour, web):
    client = web("alice")
    assert client.get(URL).status_code == 403
    assert client.get(URL + "template/").status_code == 403
    content = xlsx_bytes([HEADER, ["colour", "red", "红", "Red", 1, "yes"]])
    assert upload(client, "c.xlsx", content).status_code == 403
    assert not ImportJob.objects.exists()


def test_another_users_job_is_not_found(colour, web, org, django_capture_on_commit_callbacks):
    from accounts.models import Role

    content = xlsx_bytes([HEADER, ["colour", "red", "红", "Red", 1, "yes"]])
    with django_capture_on_commit_callbacks(execute=True):
        upload(web("admin"), "c.xlsx", content)
    job = ImportJob.objects.get()
    # Bob becomes a second administrator: still cannot open or confirm admin's job.
    org["bob"].roles.add(Role.objects.get(code="admin"))
    bob = web("bob")
    assert job_page(bob, job).status_code == 404
    assert bob.post(f"{URL}{job.pk}/").status_code == 404
    assert not DictItem.objects.filter(type=colour).exists()
