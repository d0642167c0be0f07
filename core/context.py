"""Per-request context (actor, client IP) that services read when writing audit entries.

Kept in a contextvar so jobs and commands can set it too, and so services need not take the
request as an argument.
"""

import ipaddress
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

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
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy (CRM_TRUSTED_PROXIES).

    Then X-Forwarded-For is read from the right: each proxy appends the address it was reached
    from, so the entries left of the last untrusted one were written by the client and prove
    nothing. The audit, django-axes and django-ratelimit all read this one function.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = _trusted_proxies()
    address = _parse(remote)
    if address is None:
        return remote
    if not _is_trusted(address, proxies):
        return str(address)
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if not entry.strip():
            continue
        hop = _parse(entry)
        if hop is None:
            # Whatever wrote this hop cannot be trusted to have written the ones left of it.
            break
        address = hop
        if not _is_trusted(hop, proxies):
            break
    return str(address)


def _trusted_proxies():
    from django.conf import settings

    return _networks(tuple(getattr(settings, "CRM_TRUSTED_PROXIES", ()) or ()))


@lru_cache(maxsize=8)
def _networks(entries):
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address, proxies):
    return any(address in net for net in proxies)


def _parse(value):
    """An address from a header entry ("a.b.c.d", "a.b.c.d:port", "[v6]:port", "v6"), else None."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket shows up as ::ffff:a.b.c.d.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address
