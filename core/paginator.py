"""Pagination without an exact COUNT(*) over big tables (architecture §9)."""

import time

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Large estimates per query, for a minute: planning the count query for EXPLAIN took 3-5 ms
# of a list page, and an "about 1,000,000" a minute old is as good as a fresh one.
_estimates = {}  # (database, sql, params) -> (expires, estimate)
ESTIMATE_TTL = 60


def estimated_count(queryset):
    """Planner estimate of the row count (PostgreSQL); None where unavailable."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:
        # Provably empty (`.none()`, as django-filter returns for an invalid filter; an
        # out-of-range id): there is no SQL to explain, and the answer is 0 (it was a 500).
        return 0
    key = (queryset.db, sql, tuple(map(repr, params)))
    hit = _estimates.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if estimate > CLEARLY_ABOVE * settings.CRM_LIST_COUNT_CAP:  # only those shown as "about N"
        if len(_estimates) >= 1000:
            _estimates.clear()
        _estimates[key] = (now + ESTIMATE_TTL, estimate)
    return estimate


# An estimate this many times the cap is trusted without counting: counting even cap + 1 rows
# of a broad search ("lh" matches 3 % of a million customers) costs more than the page itself,
# and within one owner's customers it meant intersecting 200,000 index entries (~100 ms).
# The planner's estimates of such searches were within a factor of two of the real counts.
CLEARLY_ABOVE = 3


def capped_count(queryset, cap=None):
    """(count, exact): exact up to `cap`; beyond it an estimate, never a full scan."""
    cap = cap or settings.CRM_LIST_COUNT_CAP
    estimate = estimated_count(queryset.order_by())
    if estimate is not None and estimate > CLEARLY_ABOVE * cap:
        return estimate, False
    n = queryset.order_by().values("pk")[: cap + 1].count()
    if n <= cap:
        return n, True
    return max(estimate or 0, n), False


class CappedPage(Page):
    """A page of an estimated count: whether a next page exists was checked by fetching one row more."""

    more = None

    def has_next(self):
        return self.more if self.more is not None else super().has_next()


class CappedPaginator(Paginator):
    """Exact count up to the cap; beyond it the count is an estimate, so pages are not clipped
    to it: each page fetches one row more to know whether another page follows."""

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

    @property
    def count_floor(self):
        """Beyond the cap without a planner estimate (SQLite), lists say "more than this"."""
        return settings.CRM_LIST_COUNT_CAP

    def _exact(self):
        return self.count is not None and self.count_exact  # `count` sets `count_exact`

    def validate_number(self, number):
        if self._exact():
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            return super().validate_number(number)  # raises PageNotAnInteger
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        if self._exact():
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        # What this page proved to exist raises the estimate (and the page count) if needed.
        if more:
            self.__dict__["count"] = max(self.count, bottom + len(rows) + 1)
        else:  # the last page: now the count is known exactly (an estimate may have been too high)
            self.__dict__["count"], self.count_exact = bottom + len(rows), True
        self.__dict__.pop("num_pages", None)
        self.__dict__["num_pages"] = max(self.num_pages, number + 1) if more else number
        page = CappedPage(rows, number, self)
        page.more = more
        return page
