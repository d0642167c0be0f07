"""Refuse a query string with a NUL character before any view reads it.

PostgreSQL text cannot hold NUL: a `?name=a%00b` that a view passes on by hand (duplicate check,
global search) raised DataError there (a 500), while SQLite answered. Forms and serializers
already refuse NUL in their fields; nothing in a URL is legitimately NUL, so one check here
covers the views that read query parameters themselves.
"""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            message = _("The address contains a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                return JsonResponse({"errors": {"detail": [message]}}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
