"""Counts are exact up to CRM_LIST_COUNT_CAP, an estimate (flagged inexact) above it."""

import pytest

from basedata.models import DictItem
from basedata.tests.factories import make_items, make_type
from core.paginator import CappedPaginator, capped_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve():
    colour = make_type()
    make_items(colour, 12)
    return DictItem.objects.filter(type=colour)


def test_exact_at_and_below_the_cap(twelve):
    assert capped_count(twelve, cap=12) == (12, True)
    assert capped_count(twelve, cap=50) == (12, True)
    assert capped_count(twelve.filter(code__in=["c001", "c002"]), cap=5) == (2, True)


def test_above_the_cap_is_flagged_inexact(twelve):
    n, exact = capped_count(twelve, cap=5)
    assert exact is False
    assert n >= 6  # at least what was seen; PostgreSQL may add the planner's estimate


def test_the_cap_comes_from_settings(twelve, settings):
    settings.CRM_LIST_COUNT_CAP = 5
    paginator = CappedPaginator(twelve.order_by("code"), 4)
    assert paginator.count >= 6
    assert paginator.count_exact is False
    settings.CRM_LIST_COUNT_CAP = 100
    paginator = CappedPaginator(twelve.order_by("code"), 4)
    assert (paginator.count, paginator.count_exact, paginator.num_pages) == (12, True, 3)
    assert [i.code for i in paginator.page(3)] == ["c008", "c009", "c010", "c011"]


def test_lists_are_counted_without_a_full_count(twelve, django_assert_max_num_queries):
    with django_assert_max_num_queries(2) as ctx:  # PostgreSQL: the planner's estimate first
        capped_count(twelve, cap=100)
    counts = [q["sql"].upper() for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT" in counts[0]
    assert all(q["sql"].upper().startswith(("SELECT", "EXPLAIN")) for q in ctx.captured_queries)


def test_a_far_higher_estimate_skips_the_count(twelve, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr("core.paginator.estimated_count", lambda qs: 5000)
    with django_assert_max_num_queries(0):
        assert capped_count(twelve, cap=100) == (5000, False)
    # An estimate that high may still be wrong: reaching the last page makes the count exact.
    paginator = CappedPaginator(twelve.order_by("code"), 5)
    monkeypatch.setattr("django.conf.settings.CRM_LIST_COUNT_CAP", 100)
    assert (paginator.count, paginator.count_exact) == (5000, False)
    last = paginator.page(3)
    assert [i.code for i in last] == ["c010", "c011"]
    assert (paginator.count, paginator.count_exact, paginator.num_pages) == (12, True, 3)


def test_list_page_and_api_say_about_when_inexact(twelve, settings, web, api):
    settings.CRM_LIST_COUNT_CAP = 5
    type_id = twelve.first().type_id
    response = web("alice").get(f"/basedata/dictionary-items/?type={type_id}&per_page=10")
    assert response.status_code == 200
    body = response.content.decode()
    assert "about" in body or "约" in body
    data = api("alice").get(f"/api/v1/dictionary-items/?type={type_id}&page_size=10").json()
    assert data["count_exact"] is False
    assert data["count"] >= 11
    assert len(data["results"]) == 10
    # A first page that holds everything knows the exact count.
    data = api("alice").get(f"/api/v1/dictionary-items/?type={type_id}").json()
    assert (data["count"], data["count_exact"], len(data["results"])) == (12, True, 12)
    settings.CRM_LIST_COUNT_CAP = 100
    data = api("alice").get(f"/api/v1/dictionary-items/?type={type_id}").json()
    assert (data["count"], data["count_exact"]) == (12, True)


def test_pages_beyond_an_estimated_count_stay_reachable(twelve, settings, web, api):
    """An estimate below the truth must not cut the list short (SQLite has no estimate at all)."""
    settings.CRM_LIST_COUNT_CAP = 5
    paginator = CappedPaginator(twelve.order_by("code"), 5)
    first = paginator.page(1)
    assert [i.code for i in first] == ["c000", "c001", "c002", "c003", "c004"]
    assert first.has_next()
    third = paginator.page(3)
    assert [i.code for i in third] == ["c010", "c011"]
    assert not third.has_next() and third.has_previous()
    assert paginator.count >= 12

    type_id = twelve.first().type_id
    client = api("alice")
    page1 = client.get(f"/api/v1/dictionary-items/?type={type_id}&page_size=5&ordering=code").json()
    assert [r["code"] for r in page1["results"]] == ["c000", "c001", "c002", "c003", "c004"]
    assert page1["next"]
    page3 = client.get(f"/api/v1/dictionary-items/?type={type_id}&page_size=5&ordering=code&page=3").json()
    assert [r["code"] for r in page3["results"]] == ["c010", "c011"]
    assert page3["next"] is None
    assert client.get(f"/api/v1/dictionary-items/?type={type_id}&page_size=5&page=4").status_code == 404

    response = web("alice").get(f"/basedata/dictionary-items/?type={type_id}&per_page=10&page=2&sort=code")
    assert response.status_code == 200
    body = response.content.decode()
    assert "项11" in body and "项10" in body
    assert "项9<" not in body


def test_list_page_says_more_than_without_an_estimate(settings, web):
    from django.db import connection

    colour = make_type()
    make_items(colour, 30)
    settings.CRM_LIST_COUNT_CAP = 12
    body = web("alice").get(f"/basedata/dictionary-items/?type={colour.pk}&per_page=10").content.decode()
    if connection.vendor == "sqlite":  # no planner estimate: the cap is all that is known
        assert "more than 12 records" in body or "超过 12 条记录" in body
    else:  # the planner's estimate of an unanalysed table may fall either side of the cap
        assert any(phrase in body for phrase in ("about", "约", "more than 12 records", "超过 12 条记录"))


def test_large_estimates_are_reused_for_a_minute(settings, django_assert_num_queries, monkeypatch):
    from django.db import connection

    from core import paginator
    from customers.models import Customer

    settings.CRM_LIST_COUNT_CAP = 0  # every estimate counts as large
    qs = Customer.objects.filter(name__startswith="甲")
    if connection.vendor != "postgresql":
        with django_assert_num_queries(0):
            assert paginator.estimated_count(qs) is None  # no planner estimate on SQLite
        return
    with django_assert_num_queries(1):
        first = paginator.estimated_count(qs)
    with django_assert_num_queries(0):
        assert paginator.estimated_count(qs) == first
    monkeypatch.setattr(paginator.time, "monotonic", lambda: 10**9)  # a minute later, and more
    with django_assert_num_queries(1):
        paginator.estimated_count(qs)
