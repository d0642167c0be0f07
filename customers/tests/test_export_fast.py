"""The fast export path (values_list + per-column converters) gives exactly the cells the
per-object cell_value() gives; XLSX output is a valid workbook with escaped formulas."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from python_calamine import CalamineWorkbook

from core.exporting import _compile, _slow_rows, escape_cell, export_response, iter_rows, write_xlsx
from core.registry import get_config
from customers.models import Customer, Tag

from .factories import make_customer

FIELDS = [
    *get_config(Customer).export_fields,
    "review_status",
    "in_pool",
    "version",
    "owner__department",
    "owner__username",
    "founded_on",
    "remark",
]


@pytest.fixture
def customers(alice, bob, dicts, regions):
    vip, it = dicts["customer_level", "vip"], None
    it = next(v for (t, _c), v in dicts.items() if t == "industry")
    red, blue = Tag.objects.create(name="红"), Tag.objects.create(name="=蓝")
    rows = [
        make_customer(alice, name="=HYPERLINK(1)", level=vip, industry=it, province=regions["bj"], tags=[red, blue]),
        make_customer(alice, name="普通 客户", mobile="13812345678", email="a@x.cn", remark="-1+2", tags=[blue]),
        make_customer(bob, name="@伯文", founded_on=timezone.localdate(), website="https://x.cn"),
        make_customer(bob, name="+8613812345678"),
    ]
    Customer.objects.filter(pk=rows[0].pk).update(
        last_followup_at=timezone.now() - timedelta(days=3), review_status="pending", in_pool=True
    )
    return rows


def test_every_field_has_a_fast_column():
    assert all(_compile(Customer, f) is not None for f in FIELDS)
    assert _compile(Customer, "contacts") is None  # reverse relations fall back to cell_value()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_fast_rows_equal_cell_value(customers, language):
    qs = get_config(Customer).base_queryset()
    with translation.override(language):
        fast = list(iter_rows(qs, FIELDS, chunk_size=3))  # chunks smaller than the data
        slow = [[escape_cell(v) for v in row] for row in _slow_rows(qs, FIELDS, 2000)]
    assert fast == slow and len(fast) == 4
    first = next(dict(zip(FIELDS, row, strict=True)) for row in fast if row[1] == "'=HYPERLINK(1)")
    assert first["tags"] == "'=蓝, 红"
    assert first["in_pool"] == "✓" and first["version"] == 1


def test_csv_and_xlsx_exports_read_back(customers):
    qs = get_config(Customer).base_queryset()
    fields = get_config(Customer).export_fields
    expected = list(iter_rows(qs, fields))
    body = b"".join(export_response(qs, fields, "csv", "c").streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert table[1:] == [[str(v) for v in row] for row in expected]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(export_response(qs, fields, "xlsx", "c").content))
    data = sheet.get_sheet_by_index(0).to_python()
    assert data[1:] == expected


def test_xlsx_writer_escapes_text_and_keeps_numbers():
    buffer = io.BytesIO()
    values = ["a&b<c>", " lead", "ctl\x01x", "lit _x0041_ y", "中文", "line\nbreak", "", 3, 2.5, -1]
    write_xlsx(buffer, ["h"] * len(values), [values])
    rows = CalamineWorkbook.from_filelike(io.BytesIO(buffer.getvalue())).get_sheet_by_index(0).to_python()
    assert rows[0] == ["h"] * len(values)
    assert rows[1] == values


def test_the_export_cursor_setting_is_put_back(customers):
    from django.db import connection

    rows = list(iter_rows(get_config(Customer).base_queryset(), ["name"]))
    assert len(rows) == 4
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW cursor_tuple_fraction")
            assert cursor.fetchone()[0] == "0.1"
