"""API tokens end with the password and expire (issue 10 item 5)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from accounts.tests.helpers import PASSWORD, STRONG, audit, reload

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
TOKEN_URL = "/api/v1/auth/token/"


def token_client(key):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def set_days(value):
    from basedata.models import SystemParameter
    from basedata.parameters import DEFAULTS, clear_cache

    group, kind, _default, label, label_en, _desc = DEFAULTS["api_token_days"]
    SystemParameter.objects.update_or_create(
        key="api_token_days",
        defaults={"value": str(value), "kind": kind, "group": group, "label": label, "label_en": label_en},
    )
    clear_cache()


def at(moment, monkeypatch):
    """Move the clock `timezone.now()` reads (authentication and services call it)."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def test_a_password_change_revokes_every_token(alice):
    (one, key1), (two, key2) = services.token_create(user=alice, name="a"), services.token_create(user=alice, name="b")
    assert token_client(key1).get(ME).status_code == 200
    services.user_change_password(user=reload(alice), old_password=PASSWORD, new_password=STRONG)
    for key in (key1, key2):
        response = token_client(key).get(ME)
        assert response.status_code == 401
        assert response.json() == {"errors": {"detail": ["Invalid or revoked token."]}}
    assert reload(one).revoked_at is not None and reload(two).revoked_at is not None
    assert audit("token", one, actor=alice, message="revoked: password changed").exists()
    assert audit("token", two, actor=alice, message="revoked: password changed").exists()


def test_a_password_change_through_the_web_form_revokes_tokens(web, alice):
    _token, key = services.token_create(user=alice)
    response = web("alice").post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG}
    )
    assert response.status_code == 302
    assert token_client(key).get(ME).status_code == 401


def test_an_admin_reset_revokes_tokens_for_good(admin_user, alice, bob):
    token, key = services.token_create(user=alice)
    _other, bob_key = services.token_create(user=bob)
    services.user_reset_password(actor=admin_user, user=alice, new_password=STRONG)
    assert token_client(key).get(ME).status_code == 401
    assert audit("token", token, actor=admin_user, message="revoked: password reset").exists()
    services.user_change_password(user=reload(alice), old_password=STRONG, new_password=STRONG + "!")
    assert token_client(key).get(ME).status_code == 401  # the same token does not come back
    assert token_client(bob_key).get(ME).status_code == 200  # other users' tokens are untouched
    # A token taken after the new password works.
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": STRONG + "!"}, format="json")
    assert token_client(response.json()["token"]).get(ME).status_code == 200


def test_tokens_expire_after_the_configured_days(alice, monkeypatch):
    token, key = services.token_create(user=alice)
    assert token.expires_at - token.created_at == timedelta(days=90)
    client = token_client(key)
    at(token.expires_at - timedelta(minutes=1), monkeypatch)
    assert client.get(ME).status_code == 200
    used = reload(token).last_used_at
    at(token.expires_at + timedelta(seconds=1), monkeypatch)
    response = client.get(ME)
    assert response.status_code == 401
    (message,) = response.json()["errors"]["detail"]
    assert "expired" in message and "profile" in message
    assert reload(token).last_used_at == used  # a refused call changes nothing


def test_the_lifetime_is_a_system_parameter(alice):
    set_days(7)
    token, _key = services.token_create(user=alice)
    assert token.expires_at - token.created_at == timedelta(days=7)
    for nonsense in (0, -5, 100000):  # out of range: the default, never "no expiry"
        set_days(nonsense)
        assert services.token_lifetime() == timedelta(days=90)


def test_token_endpoint_answers_with_the_expiry(alice):
    set_days(30)
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "id", "name", "expires_at"}
    token = ApiToken.objects.get(pk=body["id"])
    assert body["expires_at"] == timezone.localtime(token.expires_at).isoformat()
    listed = token_client(body["token"]).get("/api/v1/tokens/").json()
    assert listed[0]["expires_at"] == body["expires_at"]


def test_the_openapi_schema_documents_the_expiry(api):
    schema = api("admin").get("/api/schema/?format=json").json()
    response = schema["components"]["schemas"]["TokenResponse"]
    assert "expires_at" in response["required"]
    assert response["properties"]["expires_at"]["format"] == "date-time"
    assert "api_token_days" in response["properties"]["expires_at"]["description"]
    assert "expires_at" in schema["components"]["schemas"]["ApiToken"]["properties"]


def test_profile_shows_each_tokens_expiry(web, alice, monkeypatch):
    live, _ = services.token_create(user=alice, name="live-one")
    old, _ = services.token_create(user=alice, name="old-one")
    page = web("alice").get("/accounts/profile/").content.decode()
    assert page.count('class="token-expires"') == 2
    assert f'<td class="token-expires">{timezone.localtime(live.expires_at):%Y-%m-%d %H:%M}</td>' in page
    assert "bg-warning-lt" not in page
    lifetime = page.split('id="token-lifetime">', 1)[1].split("</p>", 1)[0]
    assert "90" in lifetime

    at(old.expires_at + timedelta(hours=1), monkeypatch)
    page = web("alice").get("/accounts/profile/").content.decode()
    assert page.count("bg-warning-lt") == 2  # both past their expiry: marked, no revoke button
    assert f"/accounts/profile/tokens/{live.pk}/revoke/" not in page
