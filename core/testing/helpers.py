"""Assertions shared by every module's permission tests."""

from core.audit import snapshot


def assert_unchanged(obj, before):
    """`before` is `snapshot(obj)` taken before the forbidden request."""
    fresh = type(obj)._base_manager.get(pk=obj.pk)
    after = snapshot(fresh)
    assert after == before, f"{obj!r} changed: {before} → {after}"


def login(page, live_server, username, password="demo-pass-2026"):
    """Log in through the real form (browser tests)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")


__all__ = ["snapshot", "assert_unchanged", "login"]


def get_with_sql(client, url):
    """(response, [SQL of every query the request ran])."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries]
