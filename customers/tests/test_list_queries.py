"""Pages read by primary key first (core.models.ScopedQuerySet.page_by_ids) equal plain slices."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Tag

from .factories import make_customer

pytestmark = pytest.mark.django_db


def _rows(qs):
    return [(c.pk, c.name, c.level_id and str(c.level), [t.name for t in c.tags.all()]) for c in qs]


def test_a_page_by_ids_equals_the_plain_slice(alice, dicts):
    vip = dicts["customer_level", "vip"]
    tag = Tag.objects.create(name="重点")
    for i in range(12):
        make_customer(alice, name=f"客户{i:02d}", level=vip if i % 2 else None, tags=[tag] if i % 3 else [])
    base = Customer.objects.select_related("level").prefetch_related("tags").order_by("name")
    for qs in (
        base,
        base.filter(tags=tag).distinct(),
        base.only("name", "level__label_zh", "level__label_en"),
        base.order_by("-created_at", "-id"),
    ):
        for bottom, top in ((0, 5), (5, 10), (10, 20), (20, 30)):
            assert _rows(qs.page_by_ids()[bottom:top]) == _rows(qs[bottom:top])


def test_a_page_by_ids_joins_only_the_rows_shown(alice, dicts):
    for i in range(8):
        make_customer(alice, name=f"客户{i}", level=dicts["customer_level", "vip"])
    qs = Customer.objects.select_related("level").order_by("name").page_by_ids()
    with CaptureQueriesContext(connection) as ctx:
        rows = list(qs[2:5])
    ids_sql, rows_sql = (q["sql"] for q in ctx.captured_queries)
    assert "JOIN" not in ids_sql and "LIMIT" in ids_sql
    assert "JOIN" in rows_sql and "LIMIT" not in rows_sql
    assert [c.name for c in rows] == ["客户2", "客户3", "客户4"]
    assert [str(c.level) for c in rows] == [str(dicts["customer_level", "vip"])] * 3
