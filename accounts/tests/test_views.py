"""Web UI of the accounts app: login and lockout, passwords, language, departments tree,
optimistic locking, audit log (list, filters, export), profile tokens, CSRF, query counts."""

import ast
import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken, AuditEntry, Department, User
from accounts.tests.helpers import PASSWORD, STRONG, audit, dept_form, reload
from core.testing.helpers import assert_unchanged, snapshot

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
PASSWORD_PAGE = "/accounts/password/"


@pytest.fixture
def web_en(org):
    """web_en("admin") → a logged-in client whose user reads English (text assertions)."""

    def make(username):
        User.objects.filter(username=username).update(language="en")
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return make


def anonymous_en():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text(response):
    return response.content.decode()


def is_logged_in(client):
    return "_auth_user_id" in client.session


# --- login / logout ---------------------------------------------------------------------------
def test_login_success_is_audited(alice):
    client = Client()
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_logged_in(client)
    entry = audit("login", alice).get()
    assert entry.actor == alice
    assert entry.ip == "127.0.0.1"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert client.get("/").status_code == 200


def test_login_sets_the_users_language(bob):
    response = Client().post(LOGIN, {"username": "bob", "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_login_follows_safe_next_only(alice):
    response = Client().post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "/accounts/profile/"})
    assert response["Location"] == "/accounts/profile/"
    response = Client().post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_logout_is_a_post_and_is_audited(alice):
    client = Client()
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert client.get(LOGOUT).status_code == 405  # a link cannot log you out
    assert is_logged_in(client)
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not is_logged_in(client)
    entry = audit("logout", alice).get()
    assert entry.actor == alice and entry.ip == "127.0.0.1"
    assert client.get("/")["Location"].startswith(LOGIN)


@pytest.mark.parametrize("username", ["alice", "nosuchuser"])
def test_failed_login_shows_clear_error_and_is_audited(org, username):
    client = anonymous_en()
    response = client.post(LOGIN, {"username": username, "password": "not-the-password"})
    assert response.status_code == 200
    assert "Wrong username or password" in text(response)
    assert 'id="login-error"' in text(response)
    assert not is_logged_in(client)
    entry = audit("login_failed").get()
    assert entry.object_repr == username
    assert entry.ip == "127.0.0.1"
    assert entry.actor is None
    if username == "nosuchuser":
        assert entry.message == "unknown user"
    else:
        assert entry.object_id == str(org["alice"].pk)


def test_deactivated_user_cannot_log_in(alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    client = anonymous_en()
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_lockout_after_failed_logins(org):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    client = anonymous_en()
    for attempt in range(1, limit + 1):
        response = client.post(LOGIN, {"username": "alice", "password": f"wrong-{attempt}"})
        if attempt < limit:
            assert response.status_code == 200
            assert "Wrong username or password" in text(response)
    assert response.status_code == 403
    assert "locked" in text(response)

    # The right password is refused too while the lock lasts, from any browser.
    other = anonymous_en()
    response = other.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "This account is locked after 5 failed logins" in text(response)
    assert not is_logged_in(other)
    assert not audit("login", org["alice"]).exists()
    assert audit("locked_out", object_repr="alice").exists()

    # Locking is per account: a colleague behind the same IP still gets in.
    colleague = Client()
    assert colleague.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 302
    assert is_logged_in(colleague)


def test_successful_login_resets_the_failure_count(org):
    client = anonymous_en()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert client.post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 302
    client.post(LOGOUT)
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert response.status_code == 200  # counting starts again, no lock
    assert "locked" not in text(response)


def test_argon2_is_the_production_password_hasher():
    tree = ast.parse(Path(settings.BASE_DIR, "crm", "settings.py").read_text())
    production = [
        node.value
        for node in tree.body  # module level only: the TESTING override sits inside an `if`
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PASSWORD_HASHERS" for t in node.targets)
    ]
    assert len(production) == 1
    assert ast.literal_eval(production[0])[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert make_password("x").startswith("argon2$")


def test_session_idle_timeout(alice, monkeypatch):
    from accounts.middleware import SessionIdleMiddleware

    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY
    clock = [1_000_000.0]
    monkeypatch.setattr("accounts.middleware.time.time", lambda: clock[0])
    client = Client()
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    clock[0] += SessionIdleMiddleware.TOUCH_EVERY
    # A request a minute after login pushes the expiry forward: the cookie is sent again.
    response = client.get("/accounts/profile/")
    assert response.status_code == 200
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == settings.SESSION_COOKIE_AGE
    # Within the minute: no session write, no new cookie.
    clock[0] += SessionIdleMiddleware.TOUCH_EVERY - 1
    response = client.get("/accounts/profile/")
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    # A minute later the expiry moves again.
    clock[0] += 2
    response = client.get("/accounts/profile/")
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == settings.SESSION_COOKIE_AGE


# --- passwords --------------------------------------------------------------------------------
def change(client, old, new1, new2=None):
    return client.post(
        PASSWORD_PAGE, {"old_password": old, "new_password1": new1, "new_password2": new2 if new2 else new1}
    )


def test_change_password_wrong_old_password(web_en, alice):
    client = web_en("alice")
    hashed = reload(alice).password
    response = change(client, "not-my-password", STRONG)
    assert response.status_code == 200
    assert "Your current password is wrong." in text(response)
    assert "old_password" in response.context["form"].errors
    assert reload(alice).password == hashed


@pytest.mark.parametrize("weak", ["123", "password123", "qwertyuiop", "98765432109"])
def test_change_password_weak_new_password(web_en, alice, weak):
    client = web_en("alice")
    hashed = reload(alice).password
    response = change(client, PASSWORD, weak)
    assert response.status_code == 200
    assert response.context["form"].errors.get("new_password1")
    assert 'data-field-error="new_password1"' in text(response)
    assert reload(alice).password == hashed


def test_change_password_mismatch(web_en, alice):
    hashed = reload(alice).password
    response = change(web_en("alice"), PASSWORD, STRONG, STRONG + "x")
    assert "new_password2" in response.context["form"].errors
    assert reload(alice).password == hashed


def test_change_password_success(web_en, alice):
    client = web_en("alice")
    response = change(client, PASSWORD, STRONG)
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # session survives the change
    assert audit("password", alice).exists()
    assert Client().post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 200
    fresh = Client()
    assert fresh.post(LOGIN, {"username": "alice", "password": STRONG}).status_code == 302
    assert is_logged_in(fresh)


def test_admin_reset_forces_password_change_everywhere(web, alice):
    admin = web("admin")
    response = admin.post(
        f"/accounts/users/{alice.pk}/reset-password/", {"new_password1": STRONG, "new_password2": STRONG}
    )
    assert response.status_code == 302
    assert reload(alice).must_change_password

    client = Client()
    assert client.post(LOGIN, {"username": "alice", "password": STRONG}).status_code == 302
    for page in ["/", "/accounts/departments/", "/accounts/profile/", f"/accounts/departments/{alice.department_id}/"]:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == PASSWORD_PAGE
    page = client.get(PASSWORD_PAGE)
    assert page.status_code == 200
    assert 'id="forced-change"' in text(page)

    new = "Another-Harbour-9182"
    assert change(client, STRONG, new).status_code == 302
    assert not reload(alice).must_change_password
    assert client.get("/").status_code == 200
    assert client.get("/accounts/departments/").status_code == 200


def test_admin_reset_refuses_weak_password(web, alice):
    hashed = reload(alice).password
    response = web("admin").post(
        f"/accounts/users/{alice.pk}/reset-password/", {"new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password1"]
    assert reload(alice).password == hashed
    assert not reload(alice).must_change_password


# --- language ---------------------------------------------------------------------------------
def test_language_switch_is_stored_on_the_user(web, alice):
    client = web("alice")
    assert 'lang="zh-CN"' in text(client.get("/accounts/profile/"))
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/profile/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert reload(alice).language == "en"
    page = client.get("/accounts/profile/")
    assert 'lang="en"' in text(page)
    assert "Profile and API tokens" in text(page)
    # It follows the user to another browser.
    other = Client()
    other.force_login(reload(alice))
    assert 'lang="en"' in text(other.get("/"))


def test_language_switch_anonymous_sets_cookie(org):
    client = Client()
    assert 'lang="zh-CN"' in text(client.get(LOGIN))
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert 'lang="en"' in text(client.get(LOGIN))


def test_language_switch_rejects_unknown_language_and_foreign_next(web, bob):
    response = web("bob").post("/i18n/setlang/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert reload(bob).language == settings.LANGUAGE_CODE


# --- departments ------------------------------------------------------------------------------
def test_department_add_through_form_sets_path_and_audits(web, admin_user, dept):
    response = web("admin").post(
        "/accounts/departments/add/",
        {"name": "上海组", "name_en": "Shanghai", "code": "SH", "parent": dept["SALES-E"].pk, "order": 1},
    )
    assert response.status_code == 302
    created = Department.objects.get(code="SH")
    assert response["Location"] == f"/accounts/departments/{created.pk}/"
    assert created.path == f"{dept['SALES-E'].path}{created.pk}/"
    entry = audit("create", created).get()
    assert entry.actor == admin_user
    assert entry.ip == "127.0.0.1"
    assert entry.source == "web"
    assert entry.changes["name"] == [None, "上海组"]
    assert entry.changes["code"] == [None, "SH"]


def test_department_move_through_form_updates_descendants(web, admin_user, dept):
    client = web("admin")
    client.post("/accounts/departments/add/", {"name": "组", "code": "SH", "parent": dept["SALES-E"].pk, "order": 0})
    team = Department.objects.get(code="SH")
    east = dept["SALES-E"]
    response = client.post(f"/accounts/departments/{east.pk}/edit/", dept_form(east, parent=dept["CS"].pk))
    assert response.status_code == 302
    assert reload(east).path == f"{dept['CS'].path}{east.pk}/"
    assert reload(team).path == f"{dept['CS'].path}{east.pk}/{team.pk}/"
    entry = audit("update", east).get()
    assert entry.changes == {"parent": [dept["SALES"].pk, dept["CS"].pk]}
    assert entry.ip == "127.0.0.1" and entry.actor == admin_user


def test_department_update_through_form_records_before_and_after(web, dept):
    east = dept["SALES-E"]
    web("admin").post(f"/accounts/departments/{east.pk}/edit/", dept_form(east, name="华东一部", order=3))
    assert audit("update", east).get().changes == {"name": ["华东销售部", "华东一部"], "order": [0, 3]}
    assert reload(east).version == east.version + 1


def test_department_parent_loop_rejected_in_form(web_en, dept):
    sales = dept["SALES"]
    before = snapshot(reload(sales))
    paths = dict(Department.objects.values_list("code", "path"))
    response = web_en("admin").post(
        f"/accounts/departments/{sales.pk}/edit/", dept_form(sales, parent=dept["SALES-E"].pk)
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert "cannot be placed under itself" in text(response)
    assert 'data-field-error="parent"' in text(response)
    assert_unchanged(sales, before)
    assert dict(Department.objects.values_list("code", "path")) == paths
    assert not audit("update").exists()


def test_department_delete_with_children_refused(web_en, dept):
    client = web_en("admin")
    sales = dept["SALES"]
    response = client.post(f"/accounts/departments/{sales.pk}/delete/", follow=True)
    assert Department.objects.filter(pk=sales.pk).exists()
    assert "sub-departments" in text(response)
    assert not audit(obj=sales).exists()


def test_department_delete_leaf_through_web(web, admin_user, dept):
    leaf = Department.objects.create(name="临时", code="TMP", parent=dept["IT"])
    response = web("admin").post(f"/accounts/departments/{leaf.pk}/delete/")
    assert response.status_code == 302
    assert not Department.objects.filter(pk=leaf.pk).exists()
    entry = AuditEntry.objects.get(object_id=str(leaf.pk), content_type__model="department")
    assert entry.action in {"delete", "purge"}
    assert entry.changes["name"] == ["临时", None]
    assert entry.ip == "127.0.0.1" and entry.actor == admin_user


def test_department_stale_version_shows_conflict(web_en, dept):
    east = dept["SALES-E"]
    stale = dept_form(east, name="mine")
    web_en("admin").post(f"/accounts/departments/{east.pk}/edit/", dept_form(east, name="theirs"))
    before = snapshot(reload(east))
    response = web_en("admin").post(f"/accounts/departments/{east.pk}/edit/", stale)
    assert response.status_code == 200
    assert "changed by someone else" in text(response)
    assert_unchanged(east, before)
    assert reload(east).name == "theirs"
    assert reload(east).version == 2


# --- audit log: list, filters, detail, export -------------------------------------------------
def listed(response):
    return [row.record for row in response.context["table"].page.object_list]


@pytest.fixture
def history(org, dept):
    """Three audit entries at known times and by known people."""
    from core.audit import audit_log

    now = timezone.now()
    a = audit_log(actor=org["alice"], action="login", obj=org["alice"])
    b = audit_log(actor=org["manager"], action="update", obj=dept["SALES"], changes={"name": ["a", "b"]})
    c = audit_log(actor=org["admin"], action="export", model=Department, object_repr="departments")
    AuditEntry.objects.filter(pk=a.pk).update(created_at=now - timezone.timedelta(days=20))
    AuditEntry.objects.filter(pk=b.pk).update(created_at=now - timezone.timedelta(days=10))
    return {"a": a, "b": b, "c": c, "now": now}


def test_audit_list_filters(web, org, history):
    client = web("admin")
    url = "/accounts/audit-log/"
    assert set(listed(client.get(url))) >= {history["a"], history["b"], history["c"]}
    logins = listed(client.get(url, {"action": "login"}))
    assert history["a"] in logins and history["b"] not in logins and history["c"] not in logins
    assert {e.action for e in logins} == {"login"}  # web("admin") logged in too
    assert listed(client.get(url, {"actor": org["manager"].pk})) == [history["b"]]
    day = timezone.localdate(history["now"])
    window = {
        "created_after": (day - timezone.timedelta(days=15)).isoformat(),
        "created_before": (day - timezone.timedelta(days=5)).isoformat(),
    }
    assert listed(client.get(url, window)) == [history["b"]]
    recent = listed(client.get(url, {"created_after": day.isoformat()}))
    assert history["c"] in recent and history["a"] not in recent and history["b"] not in recent
    combined = listed(client.get(url, {"action": "update", "actor": org["alice"].pk}))
    assert combined == []


def test_audit_detail_shows_changes(web, history):
    response = web("admin").get(f"/accounts/audit-log/{history['b'].pk}/")
    assert response.status_code == 200
    assert "<code>name</code>" in text(response)


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_audit_export_csv_escapes_formulas_and_is_audited(web, admin_user):
    client = web("admin")
    client.post("/accounts/departments/add/", {"name": "=1+1", "code": "F1", "order": 0})
    client.post("/accounts/departments/add/", {"name": "@SUM(A1)", "code": "F2", "order": 0})
    response = client.get("/accounts/audit-log/export/", {"format": "csv", "action": "create"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    body = rows[1:]
    assert len(body) == 2  # the filter applies to the export
    cells = [cell for row in body for cell in row]
    assert "'=1+1" in cells and "'@SUM(A1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    entry = audit("export", actor=admin_user).get()
    assert "csv" in entry.message and "action=create" in entry.message
    assert entry.content_type.model == "auditentry"


def test_audit_export_xlsx(web, admin_user):
    from python_calamine import CalamineWorkbook

    client = web("admin")
    client.post("/accounts/departments/add/", {"name": "=1+1", "code": "F1", "order": 0})
    response = client.get("/accounts/audit-log/export/", {"format": "xlsx", "action": "create"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert len(rows) == 2
    assert "'=1+1" in rows[1]
    assert audit("export", actor=admin_user, message__startswith="xlsx").exists()


def test_department_export_escapes_formulas(web):
    client = web("admin")
    client.post("/accounts/departments/add/", {"name": "=HYPERLINK(1)", "code": "F1", "order": 0})
    rows = read_csv(client.get("/accounts/departments/export/", {"format": "csv", "q": "HYPERLINK"}))
    assert rows[1][0] == "'=HYPERLINK(1)"


# --- profile and API tokens -------------------------------------------------------------------
def test_profile_creates_lists_and_revokes_tokens(web, alice):
    client = web("alice")
    response = client.post("/accounts/profile/tokens/add/", {"name": "laptop"})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=alice)
    page = text(client.get("/accounts/profile/"))
    assert 'id="new-token"' in page
    key = page.split('<code class="user-select-all">', 1)[1].split("</code>", 1)[0]
    assert ApiToken.find(key) == token
    assert "laptop" in page and token.prefix in page
    again = text(client.get("/accounts/profile/"))
    assert key not in again  # shown once only
    assert token.prefix in again

    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/users/me/").json()["username"] == "alice"

    assert client.post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 302
    assert reload(token).revoked_at is not None
    assert "bg-secondary-lt" in text(client.get("/accounts/profile/"))
    assert api.get("/api/v1/users/me/").status_code == 401


def test_profile_cannot_revoke_someone_elses_token(web, alice):
    from accounts import services

    token, key = services.token_create(user=alice)
    response = web("bob").post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert reload(token).revoked_at is None
    assert "bg-secondary-lt" not in text(web("bob").get("/accounts/profile/"))
    assert token.prefix not in text(web("bob").get("/accounts/profile/"))


def test_profile_token_endpoints_need_post(web):
    client = web("alice")
    assert client.get("/accounts/profile/tokens/add/").status_code == 405
    assert not ApiToken.objects.exists()


def test_profile_update_is_audited(web, alice):
    response = web("alice").post(
        "/accounts/profile/", {"name": "李爱丽", "email": "alice@new.example", "phone": "13800138000", "language": "en"}
    )
    assert response.status_code == 302
    alice = reload(alice)
    assert (alice.email, alice.phone, alice.language) == ("alice@new.example", "13800138000", "en")
    changes = audit("update", alice).get().changes
    assert changes["email"] == ["alice@guanxi.example", "alice@new.example"]
    assert changes["language"] == ["zh-hans", "en"]


# --- CSRF -------------------------------------------------------------------------------------
def test_post_without_csrf_token_gets_friendly_page_and_changes_nothing(org, dept):
    User.objects.filter(username="admin").update(language="en")
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="admin"))
    count = Department.objects.count()
    east = dept["SALES-E"]
    before = snapshot(east)

    response = client.post("/accounts/departments/add/", {"name": "x", "code": "X", "order": 0})
    assert response.status_code == 403
    assert "The form has expired" in text(response)
    response = client.post(f"/accounts/departments/{east.pk}/edit/", dept_form(east, name="hijacked"))
    assert response.status_code == 403
    assert Department.objects.count() == count
    assert_unchanged(east, before)

    # The same request with the form's token goes through: the token is what was missing.
    client.get("/accounts/departments/add/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/accounts/departments/add/", {"name": "x", "code": "X", "order": 0, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Department.objects.count() == count + 1


def test_logout_without_csrf_token_is_refused(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["alice"])
    assert client.post(LOGOUT).status_code == 403
    assert is_logged_in(client)


# --- users through the web --------------------------------------------------------------------
def test_user_add_through_form(web, dept):
    response = web("admin").post(
        "/accounts/users/add/",
        {
            "username": "dave",
            "name": "戴夫",
            "department": dept["SALES-E"].pk,
            "language": "zh-hans",
            "is_active": "on",
            "password": STRONG,
        },
    )
    assert response.status_code == 302
    dave = User.objects.get(username="dave")
    assert dave.check_password(STRONG)
    assert audit("create", dave).exists()
    assert Client().post(LOGIN, {"username": "dave", "password": STRONG}).status_code == 302


def test_user_add_weak_password_shows_error(web):
    response = web("admin").post(
        "/accounts/users/add/", {"username": "dave", "language": "zh-hans", "is_active": "on", "password": "123"}
    )
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(username="dave").exists()


def test_user_edit_through_form_is_audited(web, alice, dept):
    data = {
        "username": "alice",
        "name": "李爱丽",
        "email": alice.email,
        "department": dept["SALES-N"].pk,
        "position": alice.position_id,
        "manager": alice.manager_id,
        "roles": [r.pk for r in alice.roles.all()],
        "language": "zh-hans",
        "is_active": "on",
        "_version": reload(alice).version,
    }
    assert web("admin").post(f"/accounts/users/{alice.pk}/edit/", data).status_code == 302
    assert reload(alice).department == dept["SALES-N"]
    assert audit("update", alice).get().changes == {"department": [dept["SALES-E"].pk, dept["SALES-N"].pk]}


def test_admin_cannot_deactivate_themselves_in_the_edit_form(web, admin_user):
    admin = reload(admin_user)
    data = {
        "username": "admin",
        "name": admin.name,
        "department": admin.department_id,
        "roles": [r.pk for r in admin.roles.all()],
        "language": admin.language,
        "_version": admin.version,
    }  # "is_active" left out: the box is unticked
    response = web("admin").post(f"/accounts/users/{admin.pk}/edit/", data)
    assert response.status_code == 200
    assert "is_active" in response.context["form"].errors
    assert reload(admin).is_active


def test_bulk_edit_cannot_deactivate_oneself(web, admin_user, alice):
    client = web("admin")
    client.post(
        "/accounts/users/bulk-edit/",
        {"pk": [admin_user.pk, alice.pk], "_apply": "1", "_set_is_active": "1"},
    )
    assert reload(admin_user).is_active
    assert reload(alice).is_active  # all or nothing


# --- query counts -----------------------------------------------------------------------------
def add_users(n, dept, start=0):
    from accounts.models import Role

    roles = list(Role.objects.all()[:2])
    for i in range(start, start + n):
        user = User.objects.create(username=f"bulk{i:03d}", department=dept["SALES-E"], password="!")
        user.roles.set(roles)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_users_list_query_count_does_not_grow_with_rows(web, dept):
    client = web("admin")
    url = "/accounts/users/?per_page=100"
    add_users(5, dept)
    client.get(url)  # warm caches (content types, parameters)
    few, response = count_queries(client, url)
    assert len(listed(response)) == 7 + 5
    add_users(25, dept, start=5)
    many, response = count_queries(client, url)
    assert len(listed(response)) == 7 + 30
    assert "bulk029" in text(response)
    assert many == few
    assert few <= 25


def test_users_export_query_count_does_not_grow_with_rows(web, dept, org):
    client = web("admin")
    url = "/accounts/users/export/?format=csv"
    add_users(5, dept)
    User.objects.filter(username__startswith="bulk").update(manager=org["manager"], position=org["alice"].position)

    def run():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        return len(ctx.captured_queries), rows

    run()
    few, rows = run()
    assert len(rows) == 1 + 7 + 5
    add_users(25, dept, start=5)
    User.objects.filter(username__startswith="bulk").update(manager=org["manager"], position=org["alice"].position)
    many, rows = run()
    assert len(rows) == 1 + 7 + 30
    assert many == few


def test_role_detail_query_count_does_not_grow_with_permissions(web):
    from accounts.models import Role

    client = web("admin")
    counts = {}
    for code in ("account_manager", "admin"):
        role = Role.objects.get(code=code)
        client.get(f"/accounts/roles/{role.pk}/")
        counts[code], response = count_queries(client, f"/accounts/roles/{role.pk}/")
    assert (
        Role.objects.get(code="admin").permissions.count()
        > 3 * Role.objects.get(code="account_manager").permissions.count()
    )
    assert "accounts.view_user" in text(response)
    assert counts["admin"] == counts["account_manager"]


@pytest.mark.parametrize("base", ["departments", "positions", "roles"])
def test_other_list_pages_query_count_does_not_grow_with_rows(web, admin_user, dept, base):
    from accounts.models import Position, Role

    def add(n, start):
        for i in range(start, start + n):
            if base == "departments":
                parent = Department.objects.get(code="SALES-E")
                Department.objects.create(name=f"d{i}", code=f"d{i}", parent=parent, manager=admin_user, path="/x/")
            elif base == "positions":
                Position.objects.create(name=f"p{i}", code=f"p{i}")
            else:
                role = Role.objects.create(name=f"r{i}", code=f"r{i}")
                role.permissions.set(Role.objects.get(code="executive").permissions.all())

    client = web("admin")
    url = f"/accounts/{base}/?per_page=100"
    add(5, 0)
    client.get(url)
    few, response = count_queries(client, url)
    shown = len(listed(response))
    add(25, 5)
    client.get(url)  # new rows refresh the cached filter dropdowns once (core/choice_cache.py)
    many, response = count_queries(client, url)
    assert len(listed(response)) == shown + 25
    assert many == few


def test_audit_list_query_count_does_not_grow_with_rows(web, org, dept):
    from core.audit import audit_log

    client = web("admin")
    url = "/accounts/audit-log/?per_page=100"
    for _ in range(5):
        audit_log(actor=org["alice"], action="update", obj=dept["SALES"])
    client.get(url)
    few, _response = count_queries(client, url)
    for _ in range(25):
        audit_log(actor=org["bob"], action="update", obj=dept["CS"])
    many, _response = count_queries(client, url)
    assert many == few


# --- import -----------------------------------------------------------------------------------
def run_import(client, base, csv_text, django_capture_on_commit_callbacks, strategy="skip"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import ImportJob

    upload = SimpleUploadedFile("rows.csv", csv_text.encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/{base}/import/", {"file": upload, "duplicate_strategy": strategy})
    assert response.status_code == 302, response.content[:500]
    job = ImportJob.objects.latest("pk")
    assert job.status == ImportJob.Status.CHECKED, (job.status, job.message, job.errors)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/accounts/{base}/import/{job.pk}/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, (job.status, job.message)
    return job


def test_department_import_builds_the_tree(web, dept, django_capture_on_commit_callbacks):
    job = run_import(
        web("admin"),
        "departments",
        "name,code,parent\n深圳分部,SZ,SALES\n南山组,SZ-NS,SZ\n坏行,BAD,NOSUCH\n",
        django_capture_on_commit_callbacks,
    )
    assert job.created_rows == 2
    assert [e["row"] for e in job.errors] == [4]
    sz = Department.objects.get(code="SZ")
    ns = Department.objects.get(code="SZ-NS")
    assert sz.path == f"{dept['SALES'].path}{sz.pk}/"
    assert ns.path == f"{sz.path}{ns.pk}/"
    assert audit("import").exists()


def test_department_import_update_moves_subtree(web, admin_user, dept, django_capture_on_commit_callbacks):
    from accounts import services

    team = services.department_service.create(
        actor=admin_user, data={"name": "组", "code": "T", "parent": dept["SALES-E"]}
    )
    job = run_import(
        web("admin"),
        "departments",
        "name,code,parent\n华东销售部,SALES-E,CS\n",
        django_capture_on_commit_callbacks,
        "update",
    )
    assert job.updated_rows == 1, job.errors
    east = reload(dept["SALES-E"])
    assert east.path == f"{dept['CS'].path}{east.pk}/"
    assert reload(team).path == f"{east.path}{team.pk}/"
    assert audit("update", east).get().changes == {"parent": [dept["SALES"].pk, dept["CS"].pk]}


def test_user_import_creates_accounts_without_password(web, dept, django_capture_on_commit_callbacks):
    job = run_import(
        web("admin"), "users", "username,name,department\nzhang.wei,张伟,SALES-E\n", django_capture_on_commit_callbacks
    )
    assert job.created_rows == 1, job.errors
    user = User.objects.get(username="zhang.wei")
    assert user.department == dept["SALES-E"]
    assert not user.has_usable_password()
