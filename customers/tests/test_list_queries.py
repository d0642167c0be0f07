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


def test_a_page_by_ids_reads_related_rows_apart_and_shares_them(alice, dicts):
    vip = dicts["customer_level", "vip"]
    for i in range(8):
        make_customer(alice, name=f"客户{i}", level=vip)
    qs = Customer.objects.select_related("level", "owner").order_by("name").page_by_ids()
    with CaptureQueriesContext(connection) as ctx:
        rows = list(qs[2:5])
    ids_sql, rows_sql, *related_sql = (q["sql"] for q in ctx.captured_queries)
    assert "LIMIT" in ids_sql and "LIMIT" not in rows_sql
    # No joins anywhere (join planning was most of a PostgreSQL list query's time); one query
    # per related model (dictionary items, users).
    assert not any("JOIN" in sql for sql in (ids_sql, rows_sql, *related_sql)), (ids_sql, rows_sql, related_sql)
    assert len(related_sql) == 2
    assert [c.name for c in rows] == ["客户2", "客户3", "客户4"]
    with CaptureQueriesContext(connection) as ctx:
        assert [str(c.level) for c in rows] == [str(vip)] * 3
        assert {c.owner.pk for c in rows} == {alice.pk}
    assert not ctx.captured_queries
    assert rows[0].level is rows[1].level  # one instance per related row


def test_a_page_by_ids_sets_empty_relations_without_a_query(alice):
    make_customer(alice, name="无级别")
    rows = list(Customer.objects.select_related("level").page_by_ids()[:5])
    with CaptureQueriesContext(connection) as ctx:
        assert rows[0].level is None
    assert not ctx.captured_queries
