from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from ..paginator import CappedPaginator


class StandardPagination(PageNumberPagination):
    """Page-number pagination whose count is exact up to a cap, then an estimate."""

    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise
        except InvalidPage as e:  # pragma: no cover - DRF converts these already
            raise NotFound(str(e)) from e

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_exact": paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        base = super().get_paginated_response_schema(schema)
        base["properties"]["count_exact"] = {"type": "boolean"}
        return base
