"""Rate limits before any password is hashed (architecture §9), answering 429 + Retry-After.

django-ratelimit does the counting (in the default cache: LocMem per process, Redis shared); this
module adds what its decorator lacks: the rate read from settings at call time
(`CRM_RATE_LIMITS[name]`), the time left in the window (for Retry-After), and a response in place of
its exception — DRF would turn that exception (a PermissionDenied) into a 403 before any middleware
saw it.
"""

from functools import wraps

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited

from . import context


class RateLimited(Ratelimited):
    def __init__(self, retry_after=None):
        super().__init__()
        self.retry_after = retry_after


def client_ip(request):
    """RATELIMIT_IP_META_KEY: key="ip" counts the client behind trusted proxies, not the proxy."""
    ip = context.ip_from_request(request)
    if not ip:
        raise ImproperlyConfigured("No client address (REMOTE_ADDR is empty): rate limits cannot be keyed.")
    return ip


def username_key(group, request):
    """The submitted username, as the login would match it give or take case and padding."""
    data = getattr(request, "data", None)  # a DRF request: JSON bodies are not in request.POST
    if data is None:
        data = request.POST
    value = data.get("username", "") if hasattr(data, "get") else ""
    return str(value).strip().casefold()[:150]


def _rate(group, request):
    return settings.CRM_RATE_LIMITS[group]


def limit(group, *, key, method="POST"):
    """Count each `method` request under `group` (a CRM_RATE_LIMITS name) by `key` (django-ratelimit
    key: "ip", or a callable(group, request)); over the rate, answer with RATELIMIT_VIEW."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            usage = get_usage(request, group=group, key=key, rate=_rate, method=method, increment=True)
            if usage is not None and usage["should_limit"]:
                exception = RateLimited(retry_after=max(1, usage["time_left"]))
                return import_string(settings.RATELIMIT_VIEW)(request, exception)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
