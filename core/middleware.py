import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.functional import empty

from . import context


class RequestContextMiddleware:
    """Expose the client IP and channel to services (for audit entries)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path.startswith("/api/") else "web"
        with context.request_context(ip=context.ip_from_request(request), source=source):
            return self.get_response(request)


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every response that may carry someone's data.

    That is a response to a signed-in user (pages, htmx fragments, exports, API with a session or a
    token), to a request that sent credentials, or one whose content depended on the session. A
    view that chose its own Cache-Control keeps it (never_cache on health checks); static files
    never get here (whitenoise answers them further up).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response and _is_private(request):
            response["Cache-Control"] = "private, no-store"
        return response


def _is_private(request):
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    session = getattr(request, "session", None)
    if session is not None and session.accessed:
        return True
    # DRF sets request.user on the Django request when a token authenticates (no session read).
    user = request.__dict__.get("user")
    if user is None:
        return False
    if getattr(user, "_wrapped", None) is empty:  # a lazy user nobody asked for
        return False
    return bool(user.is_authenticated)


class DatabaseUnavailableMiddleware:
    """Answer 503 + Retry-After while the database is unreachable, instead of a 500 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        # Server-side time (browser dev tools and bench/load.py read it): the whole middleware
        # stack, as this middleware is the outermost one.
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError) and _looks_like_outage(exception):
            response = HttpResponse("Service temporarily unavailable: database unreachable.", status=503)
            response["Retry-After"] = "5"
            return response
        return None


def _looks_like_outage(exception):
    text = str(exception).lower()
    return any(
        s in text
        for s in (
            "connection",
            "could not connect",
            "server closed",
            "terminating",
            "unable to open",
        )
    )
