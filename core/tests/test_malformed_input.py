"""Malformed input answers 400/404 with a message, never 500 (issue 10 item 8).

Ids and numbers too large for a column, non-numeric ids in action URLs and deeply nested JSON used
to reach a query or the JSON parser and raise OverflowError / ValueError / RecursionError.
"""

import pytest

from core.api.parsers import MAX_DEPTH, nesting_depth
from core.bounds import INT64_MAX, as_int, field_range, out_of_range, parse_id

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999999"  # over 2**63: SQLite refuses to bind it, PostgreSQL's bigint too
HUGE = "9" * 5000  # int() of it raises ValueError (Python's 4,300-digit limit)


def errors(response):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    return response.json()["errors"]


@pytest.fixture
def client(api):
    client = api("admin")
    client.raise_request_exception = False  # a 500 must show as one, not as the raised error
    return client


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/v1/customers/?city={BIG}", "city"),
        (f"/api/v1/customers/?district={BIG}", "district"),
        (f"/api/v1/customers/?province={BIG}", "province"),
        (f"/api/v1/customers/?tags={BIG}", "tags"),
        (f"/api/v1/customers/?owner={HUGE}", "owner"),
        ("/api/v1/customers/?no_followup_days=99999999999", "no_followup_days"),
        (f"/api/v1/customers/?city={HUGE}", "city"),
        (f"/api/v1/customers/pool/?province={BIG}", "province"),
        (f"/api/v1/contacts/?customer={BIG}", "customer"),
        (f"/api/v1/followups/?customer={BIG}", "customer"),
        (f"/api/v1/users/?roles={BIG}", "roles"),
        (f"/api/v1/users/?department={BIG}", "department"),
        (f"/api/v1/regions/?parent={BIG}", "parent"),
        (f"/api/v1/dictionary-items/?type={BIG}", "type"),
    ],
)
def test_out_of_range_filters_are_field_errors(client, url, field):
    assert errors(client.get(url))[field]


def test_out_of_range_ids_in_bodies_are_field_errors(client, alice):
    response = client.post(
        "/api/v1/customers/transfer/", {"customers": [10**30], "owner": alice.pk, "reason": "x"}, format="json"
    )
    assert errors(response)["customers"]
    response = client.post(
        "/api/v1/customers/transfer/", {"customers": [1], "owner": 10**30, "reason": "x"}, format="json"
    )
    assert errors(response)["owner"]
    response = client.post("/api/v1/customers/tag/", {"customers": [1], "tags": [10**30]}, format="json")
    assert errors(response)["tags"]
    # A foreign key of a model serializer (CrmModelSerializer's IdRelatedField).
    response = client.post("/api/v1/customers/", {"name": "甲公司", "province": 10**30}, format="json")
    assert errors(response)["province"]
    response = client.post("/api/v1/customers/", {"name": "甲公司", "tags": [10**30]}, format="json")
    assert errors(response)["tags"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/customers/null,null/claim/"),
        ("post", "/api/v1/customers/false/assign/"),
        ("get", "/api/v1/customers/abc/"),
        ("get", "/api/v1/users/1.5/"),
        ("get", "/api/v1/tokens/x/"),
        ("get", "/api/v1/notifications/null/"),
    ],
)
def test_non_numeric_ids_in_urls_are_404_in_the_api_shape(client, method, url):
    response = getattr(client, method)(url, {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["Not found."]}}


def test_out_of_range_id_in_an_action_url_is_404(client):
    assert client.post(f"/api/v1/customers/{BIG}/claim/", {}, format="json").status_code == 404
    assert client.get(f"/api/v1/customers/{BIG}/owner-history/").status_code == 404


def test_deeply_nested_json_is_refused(client):
    response = client.generic("POST", "/api/v1/customers/", "[" * 50_000, content_type="application/json")
    assert errors(response) == {"detail": [f"JSON nesting too deep: at most {MAX_DEPTH} levels."]}
    closed = "[" * 1000 + "]" * 1000
    assert errors(client.generic("POST", "/api/v1/customers/transfer/", closed, content_type="application/json"))
    # Brackets inside strings do not count; ordinary bodies still parse.
    response = client.post("/api/v1/customers/", {"name": "[[[[" * 100}, format="json")
    assert response.status_code == 400 and "detail" not in response.json()["errors"]


def test_nesting_depth():
    assert nesting_depth('{"a": [1, {"b": "]]]["}], "c": "\\"[["}') == 3
    assert nesting_depth("[" * 50_000) == 50_000
    assert nesting_depth("123") == 0


def test_numbers():
    assert as_int("12") == 12 and as_int("-3") == -3 and as_int(True) is None and as_int("١٢") is None
    assert as_int(HUGE) is None and out_of_range(HUGE) and out_of_range(BIG) and not out_of_range("abc")
    assert parse_id(str(INT64_MAX)) == INT64_MAX and parse_id(str(INT64_MAX + 1)) is None and parse_id("0") is None
    from customers.models import Contact

    assert field_range(Contact, "customer_id")[1] == INT64_MAX
    assert field_range(Contact, "customer__name") is None
    assert field_range(Contact, "created_at__date") is None


@pytest.mark.parametrize(
    "url",
    [
        f"/customers/customers/?city={BIG}",
        f"/customers/customers/?province={BIG}",
        "/customers/customers/?no_followup_days=99999999999",
        f"/customers/pool/?province={BIG}",
        f"/customers/contacts/?customer={BIG}",
        f"/accounts/users/?roles={BIG}",
    ],
)
def test_web_list_filters_show_the_error_on_the_field(web, url):
    """The web list answers with its page (htmx swaps 2xx only) and the message under the field."""
    client = web("admin")
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == 200
    field = url.split("?")[1].split("=")[0]
    assert response.context["filterset"].form.errors[field]
    assert "invalid-feedback" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/basedata/regions/options/", {"parent": BIG}),
        ("get", "/customers/customers/", {"per_page": HUGE}),
        ("get", "/customers/care/", {"days": HUGE}),
        ("get", "/customers/duplicate-check/", {"exclude": HUGE, "name": "甲"}),
        ("post", "/customers/customers/bulk-delete/", {"pk": [BIG]}),
        ("post", "/customers/pool/batch/", {"pk": [BIG], "action": "claim"}),
        ("post", "/customers/customers/bulk/tag/", {"pk": [BIG]}),
        ("post", "/customers/customers/add/", {"name": "甲公司", "province": BIG, "city": BIG}),
        ("get", f"/customers/customers/{BIG}/", {}),
        ("post", f"/customers/customers/{BIG}/claim/", {}),
    ],
)
def test_web_views_refuse_out_of_range_ids(web, method, url, data):
    client = web("admin")
    client.raise_request_exception = False
    response = getattr(client, method)(url, data)
    assert response.status_code < 500, response.status_code


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/duplicates/?name=a%00b&phone=1%00",
        "/api/v1/customers/?q=a%00b",
        "/customers/duplicate-check/?name=a%00b",
        "/core/search/?q=a%00b",
    ],
)
def test_nul_in_the_query_string_is_refused(api, web, url):
    """PostgreSQL text holds no NUL: views passing a query parameter on by hand gave a 500 there."""
    client = api("admin") if url.startswith("/api/") else web("admin")
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00", "0001-01-01T07:59", "0001-01-01T00:00:00+08:00"])
def test_a_datetime_utc_cannot_hold_is_a_field_error(alice, api, web, value):
    """Local 0001-01-01 00:00 (UTC+8) is year 0 in UTC, where the database stores it."""
    from customers.models import FollowUp
    from customers.tests.factories import make_customer

    customer = make_customer(alice)
    client = api("alice")
    client.raise_request_exception = False
    response = client.post(
        "/api/v1/followups/", {"customer": customer.pk, "summary": "x", "happened_at": value}, format="json"
    )
    assert errors(response)["happened_at"] == ["Datetime value out of range."]
    client = web("alice")
    client.raise_request_exception = False
    response = client.post(
        "/customers/followups/add/", {"customer": customer.pk, "summary": "x", "happened_at": value[:16]}
    )
    assert response.status_code == 200 and response.context["form"].errors["happened_at"]
    response = client.post(
        "/customers/followups/add/",
        {"customer": customer.pk, "summary": "x", "happened_at": "2026-01-05T10:00", "next_followup_at": value[:16]},
    )
    assert response.status_code == 200 and response.context["form"].errors["next_followup_at"]
    assert not FollowUp.objects.exists()


def test_a_provably_empty_list_is_counted(db):
    """django-filter answers an invalid filter with `.none()`; on PostgreSQL the count estimate
    compiled its SQL and raised EmptyResultSet (a 500 for any invalid filter of a web list)."""
    from core.paginator import capped_count
    from customers.models import Customer

    assert capped_count(Customer.objects.none()) == (0, True)
    assert capped_count(Customer.objects.filter(pk__in=[])) == (0, True)
