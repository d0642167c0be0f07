import pytest

pytestmark = pytest.mark.django_db


def test_every_list_page_renders_for_admin(web):
    from core.registry import configs

    client = web("admin")
    for c in configs():
        response = client.get(c.url("list"))
        assert response.status_code == 200, c.label


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_responses_carry_the_server_time(client):
    timing = client.get("/healthz")["Server-Timing"]
    assert timing.startswith("app;dur=") and float(timing.split("dur=")[1]) >= 0
