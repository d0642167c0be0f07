"""Client IP behind proxies (issue 10 item 10): X-Forwarded-For is believed only when the
connection comes from a configured proxy (CRM_TRUSTED_PROXIES), and is read from the right."""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from accounts.models import AuditEntry
from core.context import ip_from_request

LOGIN = "/accounts/login/"
CLIENT = "198.51.100.7"


def ip_of(remote_addr, forwarded=None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return ip_from_request(RequestFactory().get("/", **meta))


@pytest.fixture
def proxied(settings):
    settings.CRM_TRUSTED_PROXIES = ["127.0.0.1"]


def test_forwarded_header_is_ignored_without_a_trusted_proxy(settings):
    # Production sets SECURE_PROXY_SSL_HEADER; that alone made the leftmost entry believed.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CRM_TRUSTED_PROXIES = []
    assert ip_of("127.0.0.1", "203.0.113.66, 127.0.0.1") == "127.0.0.1"


def test_forwarded_header_from_an_untrusted_peer_is_ignored(settings):
    settings.CRM_TRUSTED_PROXIES = ["127.0.0.1"]
    assert ip_of("192.0.2.10", "203.0.113.66") == "192.0.2.10"


def test_the_rightmost_untrusted_entry_is_the_client(proxied):
    assert ip_of("127.0.0.1", f"203.0.113.66, {CLIENT}") == CLIENT
    assert ip_of("127.0.0.1", CLIENT) == CLIENT
    assert ip_of("127.0.0.1") == "127.0.0.1"


def test_a_chain_of_trusted_proxies_is_skipped(settings):
    settings.CRM_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"]
    assert ip_of("127.0.0.1", f"203.0.113.66, {CLIENT}, 10.1.2.3,2001:db8::5") == CLIENT
    assert ip_of("10.9.9.9", "2001:0DB9:0:0::1, 2001:db8:aa::1") == "2001:db9::1"
    # Every hop a proxy: the furthest one is the best guess.
    assert ip_of("127.0.0.1", "10.0.0.2, 10.0.0.1") == "10.0.0.2"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        # A malformed hop ends the walk at the last address a trusted proxy vouched for.
        ("198.51.100.7, bogus", "127.0.0.1"),
        (f"bogus, {CLIENT}", CLIENT),
        ("", "127.0.0.1"),
        (" , ", "127.0.0.1"),
        (f"203.0.113.66:4711, {CLIENT}:8080", CLIENT),
        ("[2001:db8:1::7]:443", "2001:db8:1::7"),
        ("unknown", "127.0.0.1"),
    ],
)
def test_malformed_forwarded_entries(proxied, forwarded, expected):
    assert ip_of("127.0.0.1", forwarded) == expected


def test_audit_entry_records_the_client_behind_the_proxy(org, proxied):
    client = Client(HTTP_X_FORWARDED_FOR=f"203.0.113.66, {CLIENT}")
    client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert AuditEntry.objects.get(action="login_failed").ip == CLIENT


def test_audit_entry_ignores_a_spoofed_header(org, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client(HTTP_X_FORWARDED_FOR="203.0.113.66, 127.0.0.1")
    client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert AuditEntry.objects.get(action="login_failed").ip == "127.0.0.1"


def test_service_writes_record_the_client_behind_the_proxy(org, proxied):
    # A service reads the IP from the request context the middleware set (core.audit).
    client = Client(HTTP_X_FORWARDED_FOR=f"203.0.113.66, {CLIENT}")
    client.force_login(org["alice"])
    client.post("/accounts/profile/tokens/add/", {"name": "script"})
    assert AuditEntry.objects.get(action="token").ip == CLIENT


def test_lockout_records_the_client_behind_the_proxy(org, proxied, settings):
    client = Client(HTTP_X_FORWARDED_FOR=f"203.0.113.66, {CLIENT}")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert AccessAttempt.objects.get(username="alice").ip_address == CLIENT
    assert AuditEntry.objects.get(action="locked_out").ip == CLIENT


def test_api_login_failures_record_the_client_behind_the_proxy(org, proxied):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_X_FORWARDED_FOR=f"203.0.113.66, {CLIENT}")
    client.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert AuditEntry.objects.get(action="login_failed").ip == CLIENT
    assert AccessAttempt.objects.get(username="alice").ip_address == CLIENT
