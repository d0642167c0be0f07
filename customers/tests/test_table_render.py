"""The fast table body (core/table_render.py) shows what django-tables2 itself would."""

import re

import pytest
from django.template import Context, Template
from django.utils.html import conditional_escape

from core.table_render import render_rows
from customers.models import Contact, Customer, FollowUp, Tag
from customers.tables import ContactTable, CustomerTable, FollowUpTable, PoolTable

from .factories import make_contact, make_customer, make_followup

pytestmark = pytest.mark.django_db


def tables2_cells(table):
    """Each row's cells as django-tables2's own template would render them."""
    cell = Template("{{ c }}")
    return [[cell.render(Context({"c": value})) for _column, value in row.items()] for row in table.page.object_list]


def fast_cells(table):
    html = str(render_rows(table))
    return [re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)]


def paginated(table_class, qs):
    table = table_class(qs)
    table.paginate(per_page=50)
    return table


def test_customer_rows_match_tables2(alice, dicts, regions):
    make_customer(
        alice,
        name="<script>alert(1)</script>有限公司",
        level=dicts["customer_level", "vip"] if ("customer_level", "vip") in dicts else None,
        province=regions["bj"],
    )
    c = make_customer(alice, name="北京龙虎科技有限公司")
    c.tags.add(Tag.objects.create(name="<b>重点</b>", color="red"), Tag.objects.create(name="A", color="blue"))
    make_contact(alice, c, name="单田芳", mobile="13800138000")
    make_followup(alice, c)
    for table_class, qs in (
        (CustomerTable, Customer.objects.all()),
        (PoolTable, Customer.objects.all()),
        (ContactTable, Contact.objects.all()),
        (FollowUpTable, FollowUp.objects.all()),
    ):
        expected = tables2_cells(paginated(table_class, qs))
        got = fast_cells(paginated(table_class, qs))
        assert got == expected, table_class.__name__
    assert "&lt;b&gt;重点&lt;/b&gt;" in str(render_rows(paginated(CustomerTable, Customer.objects.all())))
    html = str(render_rows(paginated(CustomerTable, Customer.objects.all())))
    assert "<script>" not in html and conditional_escape("<script>") in html


def test_empty_table_shows_empty_text(db):
    table = paginated(CustomerTable, Customer.objects.none())
    table.empty_text = "nothing <here>"
    assert "nothing &lt;here&gt;" in str(render_rows(table))


def test_detail_links_are_each_records_own(alice):
    customers = [make_customer(alice, name=f"客户{i}") for i in range(3)]
    html = str(render_rows(paginated(CustomerTable, Customer.objects.all())))
    for customer in customers:
        assert f'href="{customer.get_absolute_url()}"' in html
