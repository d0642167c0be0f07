"""Rate limits of the token endpoint and the login form (issue 10 item 14): 429 with Retry-After,
counted per client IP (behind trusted proxies: the client's, not the proxy's) and per username,
before any password is hashed."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tests.helpers import PASSWORD, audit

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOGIN = "/accounts/login/"
LIMIT = 3


@pytest.fixture(autouse=True)
def low_limits(settings):
    # Hourly windows: a few requests cannot straddle a window edge in practice (the windows are
    # fixed, not sliding, so a per-minute one could reset mid-test).
    settings.CRM_RATE_LIMITS = {"token_ip": f"{LIMIT}/h", "login_ip": f"{LIMIT}/h", "username": f"{LIMIT}/h"}
    settings.CRM_TRUSTED_PROXIES = ["127.0.0.1"]


def token_attempt(username, ip=None, password="wrong"):
    headers = {"HTTP_X_FORWARDED_FOR": f"203.0.113.66, {ip}"} if ip else {}
    return APIClient(HTTP_ACCEPT_LANGUAGE="en", **headers).post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )


def login_attempt(username, ip=None, password="wrong"):
    headers = {"HTTP_X_FORWARDED_FOR": ip} if ip else {}
    return Client(HTTP_ACCEPT_LANGUAGE="en", **headers).post(LOGIN, {"username": username, "password": password})


def assert_limited(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600


def test_token_endpoint_answers_429_with_retry_after_per_ip(org):
    for n in range(LIMIT):
        assert token_attempt(f"user{n}", ip="198.51.100.7").status_code == 400
    response = token_attempt("alice", ip="198.51.100.7", password=PASSWORD)
    assert_limited(response)
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == ["non_field_errors"]
    assert "Too many requests" in response.json()["errors"]["non_field_errors"][0]
    # Refused before authenticating: no password was checked, no token made.
    assert audit("login_failed").count() == LIMIT
    assert not ApiToken.objects.exists()


def test_token_endpoint_counts_clients_behind_the_proxy_separately(org):
    for n in range(LIMIT):
        token_attempt(f"user{n}", ip="198.51.100.7")
    assert_limited(token_attempt("other", ip="198.51.100.7"))
    # The proxy's own address is not the key: another client behind it still gets through.
    assert token_attempt("alice", ip="198.51.100.8", password=PASSWORD).status_code == 201


def test_token_endpoint_limits_a_username_tried_from_many_ips(org):
    for n in range(LIMIT):
        assert token_attempt("alice", ip=f"198.51.100.{n + 1}").status_code == 400
    # Case and padding do not make another bucket.
    assert_limited(token_attempt(" ALICE ", ip="198.51.100.99", password=PASSWORD))
    assert_limited(token_attempt("alice", ip="198.51.100.99", password=PASSWORD))
    assert token_attempt("bob", ip="198.51.100.99", password=PASSWORD).status_code == 201


def test_login_form_answers_429_with_retry_after_per_ip(org):
    for n in range(LIMIT):
        assert login_attempt(f"user{n}", ip="198.51.100.7").status_code == 200
    response = login_attempt("alice", ip="198.51.100.7", password=PASSWORD)
    assert_limited(response)
    assert response["Content-Type"].startswith("text/html")
    assert "Too many" in response.content.decode()
    assert audit("login_failed").count() == LIMIT
    assert not audit("login").exists()
    assert login_attempt("alice", ip="198.51.100.8", password=PASSWORD).status_code == 302


def test_login_form_limits_a_username_tried_from_many_ips(org):
    for n in range(LIMIT):
        login_attempt("bob", ip=f"198.51.100.{n + 1}")
    assert_limited(login_attempt("bob", ip="198.51.100.99", password=PASSWORD))
    assert login_attempt("alice", ip="198.51.100.99", password=PASSWORD).status_code == 302


def test_web_and_api_share_the_username_count(org):
    for n in range(LIMIT - 1):
        login_attempt("alice", ip=f"198.51.100.{n + 1}")
    token_attempt("alice", ip="198.51.100.50")
    assert_limited(token_attempt("alice", ip="198.51.100.51", password=PASSWORD))
    assert_limited(login_attempt("alice", ip="198.51.100.52", password=PASSWORD))


def test_a_spoofed_forwarded_header_does_not_reset_the_count(org, settings):
    settings.CRM_TRUSTED_PROXIES = []
    for n in range(LIMIT):
        token_attempt(f"user{n}", ip=f"198.51.100.{n + 1}")
    assert_limited(token_attempt("alice", ip="198.51.100.99", password=PASSWORD))


def test_get_of_the_login_page_is_not_counted(org):
    client = Client()
    for _ in range(LIMIT + 2):
        assert client.get(LOGIN).status_code == 200
    assert login_attempt("alice", password=PASSWORD).status_code == 302


@pytest.mark.parametrize("path", ["/api/v1/anything/", "/accounts/anything/"])
def test_a_plain_ratelimited_exception_gets_a_429_with_a_default_retry_after(path):
    from django.test import RequestFactory
    from django_ratelimit.exceptions import Ratelimited

    from core.views import ratelimited

    response = ratelimited(RequestFactory().post(path), Ratelimited())
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
