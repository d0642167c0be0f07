"""Accounts endpoints the generic persona suite (core/tests/test_persona_suite.py) does not walk:
saved views, bulk edit/delete, import uploads and templates, password reset, pages a read-only
model does not have, API list contents, /users/me/, personal tokens.

Function permissions come from the roles in accounts/demo.py:
    admin                       superuser: everything
    manager (sales manager)     departments, positions: view; users: view + export; audit log: view
    exec (executive)            departments, positions, users, roles: view; audit log: view + export
    alice, bob, charlie, agent  departments, positions: view

Every refused write is checked to have changed nothing.
"""

from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, AuditEntry, Department, Position, Role, User
from accounts.tests.helpers import dept_form, reload
from core.audit import audit_log
from core.models import ImportJob, SavedView
from core.testing.fixtures import PERSONAS
from core.testing.helpers import assert_unchanged, snapshot

pytestmark = pytest.mark.django_db

OBJECT_DENIED = {403, 404}
EVERYONE = set(PERSONAS)
ADMIN = {"admin"}
USER_VIEWERS = {"admin", "manager", "exec"}
AUDIT_VIEWERS = {"admin", "manager", "exec"}
ROLE_VIEWERS = {"admin", "exec"}

# Denials go first, the admin last: an allowed write must not hide a forbidden one.
ORDER = [p for p in PERSONAS if p != "admin"] + ["admin"]


@pytest.fixture
def targets(org, dept):
    admin = org["admin"]
    leaf = services.department_service.create(
        actor=admin, data={"name": "临时组", "code": "TMP", "parent": dept["IT"], "order": 0}
    )
    return {
        "user": org["alice"],
        "department": leaf,
        "position": Position.objects.create(name="实习生", code="INTERN"),
        "role": Role.objects.create(name="临时角色", code="tmp", data_scope=10),
        "auditentry": audit_log(actor=admin, action="update", obj=leaf, changes={"order": [0, 1]}),
    }


MODELS = {"user": User, "department": Department, "position": Position, "role": Role, "auditentry": AuditEntry}
BASES = {
    "user": "users",
    "department": "departments",
    "position": "positions",
    "role": "roles",
    "auditentry": "audit-log",
}


def user_form(user, **changes):
    data = {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "department": user.department_id or "",
        "position": user.position_id or "",
        "manager": user.manager_id or "",
        "roles": [r.pk for r in user.roles.all()],
        "language": user.language,
        "is_active": "on" if user.is_active else "",
        "_version": user.version,
    }
    data.update(changes)
    return data


def role_form(role, **changes):
    data = {
        "name": role.name,
        "name_en": role.name_en,
        "code": role.code,
        "description": role.description,
        "data_scope": role.data_scope,
        "permissions": [p.pk for p in role.permissions.all()],
        "_version": role.version,
    }
    data.update(changes)
    return data


def position_form(position, **changes):
    data = {
        "name": position.name,
        "name_en": position.name_en,
        "code": position.code,
        "description": position.description,
        "_version": position.version,
    }
    data.update(changes)
    return data


ADD_DATA = {
    "user": lambda t: {"username": "intruder", "language": "zh-hans", "is_active": "on", "roles": []},
    "department": lambda t: {"name": "新部门", "code": "NEW", "order": 0},
    "position": lambda t: {"name": "新岗位", "code": "NEW"},
    "role": lambda t: {"name": "超级", "code": "super", "data_scope": 50},
}
EDIT_DATA = {
    "user": lambda t: user_form(reload(t), roles=[Role.objects.get(code="admin").pk]),
    "department": lambda t: dept_form(reload(t), name="改名"),
    "position": lambda t: position_form(reload(t), name="改名"),
    "role": lambda t: role_form(reload(t), data_scope=50),
}
IMPORT_CSV = {
    "user": "username,full name\nimported,导入\n",
    "department": "name,code\n导入部,IMP\n",
    "position": "name,code\n导入岗,IMP\n",
}


@dataclass
class Case:
    id: str
    model: str
    method: str
    path: str  # "{pk}" is the target's pk
    allowed: set
    denied: int | set  # status for everyone else
    ok: set = field(default_factory=lambda: {200})
    data: object = None  # callable(target) -> dict
    writes: bool = False

    def url(self, target):
        return self.path.format(base=BASES[self.model], pk=target.pk)


def web_cases():
    cases = []
    view = {
        "user": USER_VIEWERS,
        "department": EVERYONE,
        "position": EVERYONE,
        "role": ROLE_VIEWERS,
        "auditentry": AUDIT_VIEWERS,
    }
    export = {"user": {"admin", "manager"}, "department": ADMIN, "position": ADMIN, "role": ADMIN}
    export["auditentry"] = {"admin", "exec"}
    for m in MODELS:
        cases += [
            Case(f"{m}-export-xlsx", m, "get", "/accounts/{base}/export/?format=xlsx", export[m], 403),
            Case(
                f"{m}-saved-view",
                m,
                "post",
                "/accounts/{base}/saved-views/",
                view[m],
                403,
                ok={302},
                data=lambda t: {"name": "mine", "query": "q=x"},
            ),
        ]
        if m == "auditentry":
            # Read-only: no add, edit, delete or bulk pages exist for anyone.
            for path in ["add/", "{pk}/edit/", "{pk}/delete/", "bulk-delete/", "import/"]:
                cases.append(Case(f"{m}-no-{path}", m, "post", "/accounts/{base}/" + path, set(), 404, writes=True))
            continue
        cases += [
            Case(f"{m}-add-post", m, "post", "/accounts/{base}/add/", ADMIN, 403, {302}, ADD_DATA[m], True),
            Case(
                f"{m}-bulk-delete",
                m,
                "post",
                "/accounts/{base}/bulk-delete/",
                ADMIN,
                403,
                {302},
                lambda t: {"pk": [t.pk], "_confirm": "1"},
                True,
            ),
        ]
        if m in IMPORT_CSV:
            cases += [
                Case(f"{m}-import-template", m, "get", "/accounts/{base}/import/template/", ADMIN, 403),
                Case(
                    f"{m}-import-post",
                    m,
                    "post",
                    "/accounts/{base}/import/",
                    ADMIN,
                    403,
                    {302},
                    lambda t, m=m: {
                        "file": SimpleUploadedFile("rows.csv", IMPORT_CSV[m].encode(), "text/csv"),
                        "duplicate_strategy": "skip",
                    },
                    True,
                ),
            ]
        else:
            cases.append(Case(f"{m}-no-import", m, "get", "/accounts/{base}/import/", set(), 404))
    cases += [
        Case(
            "user-bulk-edit",
            "user",
            "post",
            "/accounts/{base}/bulk-edit/",
            ADMIN,
            403,
            {302},
            lambda t: {"pk": [t.pk], "_apply": "1", "_set_language": "1", "language": "en"},
            True,
        ),
        Case("user-reset-password-get", "user", "get", "/accounts/users/{pk}/reset-password/", ADMIN, OBJECT_DENIED),
        Case(
            "user-reset-password-post",
            "user",
            "post",
            "/accounts/users/{pk}/reset-password/",
            ADMIN,
            OBJECT_DENIED,
            {302},
            lambda t: {"new_password1": "Lantern-Harbour-2731", "new_password2": "Lantern-Harbour-2731"},
            True,
        ),
        Case("department-no-bulk-edit", "department", "post", "/accounts/{base}/bulk-edit/", set(), 404, writes=True),
    ]
    return cases


def state(targets):
    """Everything a forbidden request could have touched (a dozen queries)."""
    return {
        "counts": {name: model._base_manager.count() for name, model in MODELS.items() if name != "auditentry"},
        "users": list(User.objects.order_by("pk").values()),
        "user_roles": sorted(User.roles.through.objects.values_list("user_id", "role_id")),
        "role_perms": sorted(Role.permissions.through.objects.values_list("role_id", "permission_id")),
        "targets": {name: snapshot(reload(t)) for name, t in targets.items()},
        "audit": AuditEntry.objects.exclude(action__in=["login", "export"]).count(),
        "jobs": ImportJob.objects.count(),
        "saved_views": SavedView.objects.count(),
    }


def check(case, persona, response, before, targets):
    """Assert the outcome; returns the state the next persona starts from."""
    if persona in case.allowed:
        assert response.status_code in case.ok, (persona, response.status_code, response.content[:300])
        return state(targets) if persona != ORDER[-1] else before  # the admin may have deleted it
    expected = case.denied if isinstance(case.denied, set) else {case.denied}
    assert response.status_code in expected, (persona, response.status_code)
    assert state(targets) == before, persona
    assert_unchanged(targets[case.model], before["targets"][case.model])
    return before


def web_clients(org):
    clients = {}
    for name in PERSONAS:
        client = Client()
        client.force_login(org[name])
        clients[name] = client
    return clients


@pytest.mark.parametrize("case", web_cases(), ids=lambda c: c.id)
def test_web_endpoint_permissions(case, org, targets):
    clients = web_clients(org)
    target = targets[case.model]
    before = state(targets)  # denied personas come first and must leave it as it is
    for persona in ORDER:
        request = getattr(clients[persona], case.method)
        response = request(case.url(target), case.data(target) if case.data else {})
        before = check(case, persona, response, before, targets)


def test_allowed_web_writes_really_happen(web, targets, org):
    """The matrix above checks the admin's status codes; here the effects."""
    client = web("admin")
    client.post("/accounts/departments/add/", ADD_DATA["department"](None))
    assert Department.objects.filter(code="NEW").exists()
    client.post(f"/accounts/users/{org['alice'].pk}/edit/", EDIT_DATA["user"](org["alice"]))
    assert reload(org["alice"]).roles.filter(code="admin").exists()
    client.post(f"/accounts/roles/{targets['role'].pk}/edit/", EDIT_DATA["role"](targets["role"]))
    assert reload(targets["role"]).data_scope == 50
    client.post(f"/accounts/departments/{targets['department'].pk}/delete/")
    assert not Department.objects.filter(pk=targets["department"].pk).exists()
    client.post(
        "/accounts/users/bulk-edit/",
        {"pk": [org["bob"].pk], "_apply": "1", "_set_language": "1", "language": "zh-hans"},
    )
    assert reload(org["bob"]).language == "zh-hans"


@pytest.mark.parametrize("persona", PERSONAS)
def test_buttons_follow_permissions(persona, org, targets):
    client = web_clients(org)[persona]
    detail = client.get(f"/accounts/departments/{targets['department'].pk}/").content.decode()
    listing = client.get("/accounts/departments/").content.decode()
    can_change = persona == "admin"
    assert ('id="edit-button"' in detail) is can_change
    assert ('id="delete-button"' in detail) is can_change
    assert ('id="add-button"' in listing) is can_change
    assert ('id="export-menu"' in listing) is can_change


# --- API ---------------------------------------------------------------------------------------
def api_clients(org):
    clients = {}
    for name in PERSONAS:
        client = APIClient()
        client.force_authenticate(org[name])
        clients[name] = client
    return clients


def test_api_list_content_by_persona(api, org, targets):
    usernames = {u["username"] for u in api("exec").get("/api/v1/users/?page_size=100").json()["results"]}
    assert usernames == set(User.objects.values_list("username", flat=True))
    codes = {d["code"] for d in api("charlie").get("/api/v1/departments/?page_size=100").json()["results"]}
    assert codes == set(Department.objects.values_list("code", flat=True))
    actions = {e["id"] for e in api("manager").get("/api/v1/audit-log/?page_size=200").json()["results"]}
    assert targets["auditentry"].pk in actions


@pytest.mark.parametrize("persona", PERSONAS)
def test_users_me_for_every_persona(persona, org):
    client = api_clients(org)[persona]
    assert client.get("/api/v1/users/me/").json()["username"] == org[persona].username


# --- tokens: strictly personal -----------------------------------------------------------------
def test_tokens_are_invisible_to_every_other_persona(org):
    tokens = {name: services.token_create(user=org[name], name=f"{name}-token")[0] for name in PERSONAS}
    clients = api_clients(org)
    for persona in PERSONAS:
        client = clients[persona]
        listed = client.get("/api/v1/tokens/").json()
        assert [t["name"] for t in listed] == [f"{persona}-token"]
        for other, token in tokens.items():
            if other == persona:
                continue
            before = snapshot(token)
            assert client.get(f"/api/v1/tokens/{token.pk}/").status_code == 404
            assert client.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
            assert_unchanged(token, before)
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_web_token_revoke_is_personal(org):
    token, _key = services.token_create(user=org["alice"])
    clients = web_clients(org)
    for persona in [p for p in ORDER if p != "alice"]:
        assert clients[persona].post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 404
        assert reload(token).revoked_at is None
    assert clients["alice"].post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 302
    assert reload(token).revoked_at is not None


def test_unauthenticated_web_requests_go_to_login(targets):
    client = Client()
    for path in [
        "/accounts/users/",
        f"/accounts/departments/{targets['department'].pk}/",
        "/accounts/audit-log/export/?format=csv",
        "/accounts/profile/",
        "/accounts/password/",
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next=")
    count = Department.objects.count()
    assert client.post("/accounts/departments/add/", {"name": "x", "code": "X"}).status_code == 302
    assert Department.objects.count() == count
