"""Export: formula-injection escaping, CSV and XLSX of the current filter, audit entry."""

import csv
import io

import pytest
from python_calamine import CalamineWorkbook

from accounts.models import AuditEntry
from basedata.tests.factories import make_item, make_type
from core.exporting import escape_cell

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["=cmd()", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_escape_cell_quotes_formula_starts(text):
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "中文", "a=b", "", 5, -3, 1.5, None])
def test_escape_cell_leaves_other_values(value):
    assert escape_cell(value) == value


@pytest.fixture
def colour():
    t = make_type()
    make_item(t, "evil", label_zh="=cmd()", label_en="@SUM(1+1)")
    make_item(t, "red", label_zh="红", label_en="Red", order=1)
    return t


def test_csv_export_escapes_formulas_and_follows_the_filter(colour, web):
    response = web("admin").get(f"/basedata/dictionary-items/export/?type={colour.pk}&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="dictionary-items-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 3  # header + the two items of this dictionary only
    by_code = {r[2]: r for r in rows[1:]}
    assert by_code["evil"][0] == "'=cmd()"
    assert by_code["evil"][1] == "'@SUM(1+1)"
    assert by_code["red"][:3] == ["红", "Red", "red"]
    entry = AuditEntry.objects.get(action="export", content_type__model="dictitem")
    assert "csv" in entry.message and f"type={colour.pk}" in entry.message


def test_xlsx_export_has_header_and_rows(colour, web):
    response = web("admin").get(f"/basedata/dictionary-items/export/?type={colour.pk}&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert len(rows) == 3
    assert len(rows[0]) == 6 and all(rows[0])
    cells = {r[2]: r for r in rows[1:]}
    assert cells["evil"][0] == "'=cmd()"
    assert cells["red"][1] == "Red"
    assert cells["red"][4] == 1  # numbers stay numbers
    assert cells["red"][5] == "✓"


def test_export_needs_the_export_permission(colour, web):
    # Alice may view dictionary items but not export them.
    response = web("alice").get(f"/basedata/dictionary-items/export/?type={colour.pk}&format=csv")
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()


def test_export_with_a_bad_filter_exports_nothing(colour, web):
    response = web("admin").get("/basedata/dictionary-items/export/?type=999999&format=csv")
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="export").exists()
