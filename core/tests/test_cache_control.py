"""Private responses are not kept by browsers or shared caches (issue 10 item 13)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import services as account_services
from customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

PRIVATE = "private, no-store"


@pytest.fixture
def customer(alice):
    return make_customer(alice, name="缓存测试有限公司")


@pytest.fixture
def token_api(alice):
    _token, key = account_services.token_create(user=alice, name="cache test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/customers/customers/",
        "/customers/customers/?q=缓存",
        "/customers/customers/export/?format=csv",
        "/customers/customers/export/?format=xlsx",
        "/accounts/profile/",
    ],
)
def test_signed_in_pages_and_exports_are_private(web, customer, url):
    response = web("alice").get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_detail_page_and_htmx_partials_are_private(web, customer):
    client = web("alice")
    assert client.get(f"/customers/customers/{customer.pk}/")["Cache-Control"] == PRIVATE
    partial = client.get("/customers/customers/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert partial["Cache-Control"] == PRIVATE


@pytest.mark.parametrize(
    "url",
    ["/api/v1/customers/", "/api/v1/users/me/", "/api/v1/customers/export/?file_format=csv"],
)
def test_api_responses_with_a_token_are_private(token_api, customer, url):
    response = token_api.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_api_detail_with_a_token_is_private(token_api, customer):
    response = token_api.get(f"/api/v1/customers/{customer.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_a_refused_api_request_is_private_too(org):
    # A bad token still names the caller's credentials; nothing of it belongs in a cache.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token gx_nonsense")
    response = client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["Cache-Control"] == PRIVATE


def test_a_view_that_sets_its_own_cache_control_keeps_it(web):
    response = web("alice").get("/healthz")
    assert "no-store" in response["Cache-Control"]
    assert response["Cache-Control"] != PRIVATE  # never_cache's own header


def test_static_files_keep_their_caching(web):
    response = web("alice").get("/static/css/crm.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_anonymous_public_responses_are_left_alone(db):
    response = Client().get("/healthz")
    assert response["Cache-Control"].startswith("max-age=0")
