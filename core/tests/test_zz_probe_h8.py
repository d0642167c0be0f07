import pytest
pytestmark = pytest.mark.django_db

@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59"])
def test_dt(api, alice, value):
    from customers.tests.factories import make_customer
    c = api("alice"); c.raise_request_exception = False
    cust = make_customer(alice)
    r = c.post("/api/v1/followups/", {"customer": cust.pk, "summary": "x", "happened_at": value}, format="json")
    print(value, r.status_code, r.content[:200])
    assert r.status_code < 500
    r = c.post("/api/v1/todos/", {"title": "x", "due_at": value}, format="json")
    print(value, r.status_code, r.content[:200])
    assert r.status_code < 500
    r = c.get("/api/v1/customers/", {"created_after": value[:10]})
    assert r.status_code < 500

@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_dt_web(web, alice, value):
    from customers.tests.factories import make_customer
    c = web("alice"); c.raise_request_exception = False
    cust = make_customer(alice)
    r = c.post("/customers/followups/add/", {"customer": cust.pk, "summary": "x", "happened_at": value})
    print(value, r.status_code)
    assert r.status_code < 500
