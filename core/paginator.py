"""Pagination without an exact COUNT(*) over big tables (architecture §9)."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


def estimated_count(queryset):
    """Planner estimate of the row count (PostgreSQL); None where unavailable."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def capped_count(queryset, cap=None):
    """(count, exact): exact up to `cap`; beyond it an estimate, never a full scan."""
    cap = cap or settings.CRM_LIST_COUNT_CAP
    n = queryset.order_by().values("pk")[: cap + 1].count()
    if n <= cap:
        return n, True
    estimate = estimated_count(queryset.order_by())
    return max(estimate or 0, n), False


class CappedPaginator(Paginator):
    @cached_property
    def count(self):
        data = self.object_list
        # django-tables2 hands over BoundRows → TableData → QuerySet; count the queryset.
        while not isinstance(data, QuerySet) and hasattr(data, "data"):
            data = data.data
        if not isinstance(data, QuerySet):
            self.count_exact = True
            return len(self.object_list)
        n, self.count_exact = capped_count(data)
        return n

    count_exact = True
