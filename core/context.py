"""Per-request context (actor, client IP) that services read when writing audit entries.

Kept in a contextvar so jobs and commands can set it too, and so services need not take the
request as an argument.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_ip: ContextVar[str | None] = ContextVar("crm_client_ip", default=None)
_source: ContextVar[str] = ContextVar("crm_source", default="system")
_memo: ContextVar[dict | None] = ContextVar("crm_request_memo", default=None)


def memo():
    """A dict that lives as long as the current request (None outside one): for values read
    once per request, like cache versions (core.cache.read_versions)."""
    return _memo.get()


def client_ip():
    return _ip.get()


def source():
    return _source.get()


@contextmanager
def request_context(*, ip=None, source="web"):
    ip_token = _ip.set(ip)
    source_token = _source.set(source)
    memo_token = _memo.set({})
    try:
        yield
    finally:
        _ip.reset(ip_token)
        _source.reset(source_token)
        _memo.reset(memo_token)


def ip_from_request(request):
    # Only trust X-Forwarded-For when a proxy is configured to set it.
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")
