"""REST API of the accounts app: token login, token auth and revocation, departments tree,
users, roles, audit log; error shapes (400 / 401 / 404 / 409) and query counts."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, AuditEntry, Department, Role, User
from accounts.tests.helpers import PASSWORD, STRONG, audit, reload
from core.testing.helpers import assert_unchanged, snapshot

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME = "/api/v1/users/me/"


def token_client(key, keyword="Token"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def assert_errors(response, status, *fields):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"errors"}
    for f in fields:
        assert isinstance(body["errors"][f], list) and body["errors"][f], body
        assert all(isinstance(m, str) and m for m in body["errors"][f])
    return body["errors"]


# --- token login ------------------------------------------------------------------------------
def test_token_obtain_with_good_credentials(alice):
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD, "name": "cli"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "id", "name", "expires_at"}
    assert body["name"] == "cli"
    token = ApiToken.objects.get(pk=body["id"], user=alice)
    assert ApiToken.find(body["token"]) == token
    assert audit("token", token, actor=alice).exists()


@pytest.mark.parametrize("username,password", [("alice", "wrong-password"), ("ghost", PASSWORD)])
def test_token_obtain_with_bad_credentials(org, username, password):
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert_errors(response, 400, "non_field_errors")
    assert not ApiToken.objects.exists()
    entry = audit("login_failed").get()
    assert entry.source == "api" and entry.object_repr == username and entry.ip == "127.0.0.1"


def test_token_obtain_missing_fields(org):
    errors = assert_errors(APIClient().post(TOKEN_URL, {}, format="json"), 400, "username", "password")
    assert set(errors) == {"username", "password"}


def test_token_obtain_inactive_user(alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert_errors(response, 400, "non_field_errors")
    assert not ApiToken.objects.exists()


def test_token_obtain_refused_until_a_reset_password_is_changed(admin_user, alice):
    services.user_reset_password(actor=admin_user, user=alice, new_password=STRONG)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(TOKEN_URL, {"username": "alice", "password": STRONG}, format="json")
    errors = assert_errors(response, 400, "non_field_errors")
    assert "change it first" in errors["non_field_errors"][0]
    assert not ApiToken.objects.exists()
    services.user_change_password(user=reload(alice), old_password=STRONG, new_password=STRONG + "!")
    response = client.post(TOKEN_URL, {"username": "alice", "password": STRONG + "!"}, format="json")
    assert response.status_code == 201


def test_token_obtain_lockout(org):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(TOKEN_URL, {"username": "alice", "password": "wrong"}, format="json")
        assert assert_errors(response, 400, "non_field_errors")["non_field_errors"] == ["Wrong username or password."]
    client.post(TOKEN_URL, {"username": "alice", "password": "wrong"}, format="json")
    response = client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert response["Content-Type"] == "application/json"
    errors = assert_errors(response, 400, "non_field_errors")
    assert "locked" in errors["non_field_errors"][0]
    assert not ApiToken.objects.exists()
    assert audit("locked_out", object_repr="alice", source="api").exists()


# --- token authentication ---------------------------------------------------------------------
def test_token_authenticates_requests(alice):
    token, key = services.token_create(user=alice)
    for keyword in ("Token", "Bearer"):
        response = token_client(key, keyword).get(ME)
        assert response.status_code == 200
        assert response.json()["username"] == "alice"
        assert "password" not in response.json()
    assert reload(token).last_used_at is not None


def test_revoked_token_is_refused(alice):
    _token, key = services.token_create(user=alice, name="one")
    client = token_client(key)
    assert client.get(ME).status_code == 200
    token_id = client.get("/api/v1/tokens/").json()[0]["id"]
    response = client.post(f"/api/v1/tokens/{token_id}/revoke/")
    assert response.status_code == 200
    assert response.json()["revoked_at"]
    assert_errors(client.get(ME), 401, "detail")
    assert audit("token", message="revoked", actor=alice).exists()


@pytest.mark.parametrize("header", [None, "Token gx_nonsense", "Token", "Token a b"])
def test_missing_or_bad_token_is_refused(org, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME)
    assert response.status_code in (401, 403)
    assert_errors(response, response.status_code, "detail")
    assert client.get("/api/v1/departments/").status_code in (401, 403)


def test_no_credentials_is_401_with_challenge(org):
    response = APIClient().get("/api/v1/departments/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_of_deactivated_user_is_refused(alice):
    _token, key = services.token_create(user=alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert token_client(key).get(ME).status_code == 401


MUST_CHANGE = {
    "en": "You must change your password before using the API.",
    "zh-hans": "您必须先修改密码，才能使用 API。",
}
CUSTOMERS = "/api/v1/customers/"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_token_from_before_a_reset_stays_refused_after_the_new_password(admin_user, alice, language):
    """An administrator's reset revokes the user's tokens (401, nothing written), and choosing
    the new password does not bring them back (issue 10 item 5)."""
    from customers.models import Customer

    token, key = services.token_create(user=alice, name="cli")
    services.user_reset_password(actor=admin_user, user=alice, new_password=STRONG)
    assert reload(token).revoked_at is not None
    client = token_client(key)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    before, audit_count = snapshot(reload(token)), AuditEntry.objects.count()
    for response in (
        client.get(ME),
        client.get(CUSTOMERS),
        client.post(CUSTOMERS, {"name": "改密前的客户"}, format="json"),
        client.post(f"/api/v1/tokens/{token.pk}/revoke/"),
    ):
        assert_errors(response, 401, "detail")
    assert not Customer.objects.exists()
    assert_unchanged(token, before)  # not even marked as used
    assert AuditEntry.objects.count() == audit_count

    services.user_change_password(user=reload(alice), old_password=STRONG, new_password=STRONG + "!")
    assert_errors(client.get(ME), 401, "detail")
    assert_errors(client.post(CUSTOMERS, {"name": "改密后的客户"}, format="json"), 401, "detail")
    assert not Customer.objects.exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_session_refused_while_the_password_must_be_changed(admin_user, alice, language):
    from customers.models import Customer

    services.user_reset_password(actor=admin_user, user=alice, new_password=STRONG)
    User.objects.filter(pk=alice.pk).update(language=language)
    client = APIClient()
    client.force_login(reload(alice))  # a session, as the web app's pages have
    for response in (client.get(ME), client.post(CUSTOMERS, {"name": "会话客户"}, format="json")):
        assert assert_errors(response, 403, "detail") == {"detail": [MUST_CHANGE[language]]}
    assert not Customer.objects.exists()

    services.user_change_password(user=reload(alice), old_password=STRONG, new_password=STRONG + "!")
    client.force_login(reload(alice))  # a password change ends other sessions
    assert client.get(ME).status_code == 200
    assert client.post(CUSTOMERS, {"name": "会话客户"}, format="json").status_code == 201
    assert Customer.objects.filter(name="会话客户").count() == 1


def test_tokens_are_private(alice, bob):
    mine, _ = services.token_create(user=alice, name="alice-laptop")
    services.token_create(user=bob, name="bob-phone")
    _t, bob_key = services.token_create(user=bob, name="bob-cli")
    bob_client = token_client(bob_key)
    listed = bob_client.get("/api/v1/tokens/").json()
    assert {t["name"] for t in listed} == {"bob-phone", "bob-cli"}
    assert all("key_hash" not in t for t in listed)
    assert bob_client.get(f"/api/v1/tokens/{mine.pk}/").status_code == 404
    before = snapshot(mine)
    assert bob_client.post(f"/api/v1/tokens/{mine.pk}/revoke/").status_code == 404
    assert_unchanged(mine, before)


def test_tokens_cannot_be_created_or_deleted_through_the_collection(alice):
    token, key = services.token_create(user=alice)
    client = token_client(key)
    assert client.post("/api/v1/tokens/", {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 405
    assert ApiToken.objects.count() == 1


# --- departments ------------------------------------------------------------------------------
def test_department_create_via_api(api, admin_user, dept):
    response = api("admin").post(
        "/api/v1/departments/",
        {"name": "上海组", "code": "SH", "parent": dept["SALES-E"].pk, "path": "/hack/"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    created = Department.objects.get(pk=body["id"])
    assert created.path == f"{dept['SALES-E'].path}{created.pk}/"
    assert body["version"] == 1
    entry = audit("create", created).get()
    assert entry.source == "api" and entry.ip == "127.0.0.1" and entry.actor == admin_user
    assert entry.changes["code"] == [None, "SH"]


def test_department_create_validation_error_shape(api, dept):
    response = api("admin").post("/api/v1/departments/", {"name": "dup", "code": "HQ"}, format="json")
    assert_errors(response, 400, "code")
    assert Department.objects.filter(code="HQ").count() == 1


def test_department_move_via_api(api, admin_user, dept):
    team = services.department_service.create(
        actor=admin_user, data={"name": "组", "code": "SH", "parent": dept["SALES-E"]}
    )
    east = dept["SALES-E"]
    response = api("admin").patch(
        f"/api/v1/departments/{east.pk}/", {"parent": dept["CS"].pk, "version": east.version}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["path"] == f"{dept['CS'].path}{east.pk}/"
    assert response.json()["version"] == east.version + 1
    assert reload(team).path == f"{dept['CS'].path}{east.pk}/{team.pk}/"
    entry = audit("update", east).get()
    assert entry.changes == {"parent": [dept["SALES"].pk, dept["CS"].pk]}
    assert entry.source == "api"


def test_department_parent_loop_via_api(api, dept):
    sales = dept["SALES"]
    before = snapshot(sales)
    paths = dict(Department.objects.values_list("code", "path"))
    response = api("admin").patch(
        f"/api/v1/departments/{sales.pk}/", {"parent": dept["SALES-N"].pk, "version": 1}, format="json"
    )
    errors = assert_errors(response, 400, "parent")
    assert set(errors) == {"parent"}
    assert_unchanged(sales, before)
    assert reload(sales).version == 1
    assert dict(Department.objects.values_list("code", "path")) == paths
    assert not audit("update").exists()


def test_department_stale_version_via_api_is_409(api, dept):
    east = dept["SALES-E"]
    client = api("admin")
    first = client.patch(f"/api/v1/departments/{east.pk}/", {"name": "A", "version": 1}, format="json")
    assert first.status_code == 200
    before = snapshot(reload(east))
    response = client.patch(f"/api/v1/departments/{east.pk}/", {"name": "B", "version": 1}, format="json")
    errors = assert_errors(response, 409, "version")
    assert set(errors) == {"version"}
    assert_unchanged(east, before)
    assert reload(east).name == "A" and reload(east).version == 2


def test_department_put_replaces_with_version(api, dept):
    it = dept["IT"]
    response = api("admin").put(
        f"/api/v1/departments/{it.pk}/",
        {"name": "信息技术部", "name_en": "IT", "code": "IT", "parent": dept["HQ"].pk, "order": 2, "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert reload(it).name == "信息技术部" and reload(it).order == 2


def test_department_delete_via_api(api, admin_user, dept):
    client = api("admin")
    errors = assert_errors(client.delete(f"/api/v1/departments/{dept['SALES'].pk}/"), 400, "non_field_errors")
    assert errors
    assert Department.objects.filter(pk=dept["SALES"].pk).exists()
    leaf = services.department_service.create(actor=admin_user, data={"name": "临时", "code": "TMP"})
    pk = leaf.pk
    assert client.delete(f"/api/v1/departments/{pk}/").status_code == 204
    assert not Department.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.exclude(action="create").get(object_id=str(pk), content_type__model="department")
    assert entry.source == "api" and entry.changes["name"] == ["临时", None]


def test_department_filters_and_search(api, dept):
    client = api("alice")
    children = client.get("/api/v1/departments/", {"parent": dept["SALES"].pk}).json()
    assert {d["code"] for d in children["results"]} == {"SALES-E", "SALES-N"}
    found = client.get("/api/v1/departments/", {"q": "Customer"}).json()
    assert [d["code"] for d in found["results"]] == ["CS"]
    assert found["count"] == 1


# --- users ------------------------------------------------------------------------------------
def test_user_create_via_api(api, admin_user, dept):
    role = Role.objects.get(code="account_manager")
    response = api("admin").post(
        "/api/v1/users/",
        {
            "username": "dave",
            "name": "戴夫",
            "department": dept["SALES-E"].pk,
            "roles": [role.pk],
            "language": "en",
            "password": STRONG,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "password" not in response.json()
    dave = User.objects.get(username="dave")
    assert dave.check_password(STRONG)
    assert list(dave.roles.all()) == [role]
    entry = audit("create", dave).get()
    assert entry.source == "api" and "password" not in entry.changes
    assert entry.changes["roles"] == [None, [str(role)]]
    assert APIClient().post(TOKEN_URL, {"username": "dave", "password": STRONG}, format="json").status_code == 201


def test_user_create_weak_password_via_api(api):
    response = api("admin").post("/api/v1/users/", {"username": "dave", "password": "123"}, format="json")
    assert_errors(response, 400, "password")
    assert not User.objects.filter(username="dave").exists()


def test_user_password_cannot_be_patched(api, alice):
    hashed = reload(alice).password
    response = api("admin").patch(f"/api/v1/users/{alice.pk}/", {"password": STRONG, "version": 1}, format="json")
    assert_errors(response, 400, "password")
    assert reload(alice).password == hashed


def test_user_update_and_stale_version(api, alice, dept):
    client = api("admin")
    version = reload(alice).version
    response = client.patch(f"/api/v1/users/{alice.pk}/", {"phone": "13900000000", "version": version}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == version + 1
    assert audit("update", alice).get().changes == {"phone": ["", "13900000000"]}
    before = snapshot(reload(alice))
    response = client.patch(f"/api/v1/users/{alice.pk}/", {"phone": "1", "version": version}, format="json")
    assert_errors(response, 409, "version")
    assert_unchanged(alice, before)


def test_user_delete_via_api_deactivates(api, alice):
    assert api("admin").delete(f"/api/v1/users/{alice.pk}/").status_code == 204
    assert User.objects.filter(pk=alice.pk, is_active=False).exists()
    assert api("admin").delete(f"/api/v1/users/{reload(alice).pk}/").status_code == 204  # already inactive
    admin = User.objects.get(username="admin")
    assert_errors(api("admin").delete(f"/api/v1/users/{admin.pk}/"), 400, "non_field_errors")
    assert reload(admin).is_active


def test_users_me_for_any_authenticated_user(api, org):
    for name in ("alice", "agent", "exec"):
        body = api(name).get(ME).json()
        assert body["username"] == name
        assert body["id"] == org[name].pk


# --- roles ------------------------------------------------------------------------------------
def test_role_create_with_permission_codenames(api):
    response = api("admin").post(
        "/api/v1/roles/",
        {"name": "审计员", "code": "auditor", "data_scope": 50, "permissions": ["view_auditentry", "view_user"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    role = Role.objects.get(code="auditor")
    assert set(role.permissions.values_list("codename", flat=True)) == {"view_auditentry", "view_user"}
    user = User.objects.create(username="aud")
    user.roles.add(role)
    assert reload(user).has_perm("accounts.view_auditentry")


def test_role_permissions_limited_to_crm_permissions(api):
    response = api("admin").post(
        "/api/v1/roles/",
        {"name": "x", "code": "x", "data_scope": 10, "permissions": ["view_user", "delete_session"]},
        format="json",
    )
    assert_errors(response, 400, "permissions")
    assert not Role.objects.filter(code="x").exists()


def test_user_cannot_deactivate_themselves_via_api(api, admin_user):
    response = api("admin").patch(f"/api/v1/users/{admin_user.pk}/", {"is_active": False}, format="json")
    assert_errors(response, 400, "is_active")
    assert reload(admin_user).is_active


def test_role_invalid_scope(api):
    assert_errors(api("admin").post("/api/v1/roles/", {"name": "x", "code": "x", "data_scope": 7}), 400, "data_scope")
    assert not Role.objects.filter(code="x").exists()


# --- audit log --------------------------------------------------------------------------------
def test_audit_log_api_filters_and_read_only(api, org, dept):
    client = api("admin")
    client.patch(f"/api/v1/departments/{dept['IT'].pk}/", {"order": 9}, format="json")
    body = client.get("/api/v1/audit-log/", {"action": "update", "object_type": "accounts.department"}).json()
    assert body["count"] == 1
    entry = body["results"][0]
    assert entry["changes"] == {"order": [0, 9]}
    assert entry["content_type"] == "accounts.department"
    assert entry["source"] == "api"
    assert entry["actor"] == org["admin"].pk
    assert client.get("/api/v1/audit-log/", {"actor": org["bob"].pk}).json()["count"] == 0
    count = AuditEntry.objects.count()
    assert client.post("/api/v1/audit-log/", {"action": "login"}, format="json").status_code == 405
    pk = entry["id"]
    assert client.patch(f"/api/v1/audit-log/{pk}/", {"action": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/audit-log/{pk}/").status_code == 405
    assert AuditEntry.objects.count() == count


# --- query counts -----------------------------------------------------------------------------
def add_users(n, dept, start=0):
    roles = list(Role.objects.all()[:2])
    for i in range(start, start + n):
        user = User.objects.create(username=f"bulk{i:03d}", department=dept["SALES-E"], password="!")
        user.roles.set(roles)


@pytest.mark.parametrize("url", ["/api/v1/users/?page_size=100", "/api/v1/roles/", "/api/v1/departments/"])
def test_api_list_query_count_does_not_grow_with_rows(api, dept, url):
    client = api("admin")
    add_users(5, dept)
    client.get(url)

    def run():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()

    few, body = run()
    add_users(25, dept, start=5)
    for i in range(25):
        Role.objects.create(name=f"r{i}", code=f"r{i}")
        Department.objects.create(name=f"d{i}", code=f"d{i}", path="/")
    many, body_many = run()
    assert body_many["count"] > body["count"]
    assert many == few
    assert few <= 12
