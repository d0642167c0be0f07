"""Services of the accounts app: departments tree, users, passwords, language, roles and
data scopes, API tokens. Every write is checked for its audit entry and, when refused, for
having changed nothing."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts import services
from accounts.models import ApiToken, Department, Role, User
from accounts.tests.helpers import PASSWORD, STRONG, audit, reload
from core.exceptions import VersionConflict
from core.scopes import DataScope, owned_scope_q, subordinate_ids, user_scope
from core.testing.helpers import assert_unchanged, snapshot

pytestmark = pytest.mark.django_db


def make_department(actor, code, parent=None, name=None):
    return services.department_service.create(
        actor=actor, data={"name": name or code, "code": code, "parent": parent, "order": 0}
    )


# --- departments -------------------------------------------------------------------------------
def test_department_create_sets_materialised_path_and_audits(admin_user, dept):
    child = make_department(admin_user, "SALES-E-1", parent=dept["SALES-E"], name="上海组")
    root = make_department(admin_user, "BRANCH")

    assert reload(child).path == f"{dept['SALES-E'].path}{child.pk}/"
    assert reload(child).path == f"/{dept['HQ'].pk}/{dept['SALES'].pk}/{dept['SALES-E'].pk}/{child.pk}/"
    assert reload(root).path == f"/{root.pk}/"
    assert reload(child).depth == 3
    entry = audit("create", child).get()
    assert entry.actor == admin_user
    assert entry.changes["name"] == [None, "上海组"]
    assert entry.changes["parent"] == [None, dept["SALES-E"].pk]


def test_department_move_updates_paths_of_whole_subtree(admin_user, dept):
    east = dept["SALES-E"]
    team = make_department(admin_user, "E-TEAM", parent=east)
    squad = make_department(admin_user, "E-SQUAD", parent=team)
    north_path = dept["SALES-N"].path

    services.department_service.update(
        actor=admin_user, instance=reload(east), data={"parent": dept["CS"]}, version=east.version
    )

    cs_path = dept["CS"].path
    assert reload(east).path == f"{cs_path}{east.pk}/"
    assert reload(team).path == f"{cs_path}{east.pk}/{team.pk}/"
    assert reload(squad).path == f"{cs_path}{east.pk}/{team.pk}/{squad.pk}/"
    assert reload(dept["SALES-N"]).path == north_path  # sibling untouched
    assert reload(east).version == east.version + 1
    assert audit("update", east).get().changes == {"parent": [dept["SALES"].pk, dept["CS"].pk]}
    # A sub-department scope now finds the moved subtree under its new parent.
    under_cs = set(Department.objects.filter(path__startswith=cs_path).values_list("code", flat=True))
    assert under_cs == {"CS", "SALES-E", "E-TEAM", "E-SQUAD"}


def test_department_move_to_top_level(admin_user, dept):
    team = make_department(admin_user, "E-TEAM", parent=dept["SALES-E"])
    services.department_service.update(actor=admin_user, instance=dept["SALES-E"], data={"parent": None})
    assert reload(dept["SALES-E"]).path == f"/{dept['SALES-E'].pk}/"
    assert reload(team).path == f"/{dept['SALES-E'].pk}/{team.pk}/"


def test_department_paths_sharing_a_digit_prefix_are_not_moved(admin_user, dept):
    """Moving /900001/ must not touch /9000015/: the prefix match includes the trailing slash."""
    svc = services.department_service
    moved = svc.create(actor=admin_user, data={"id": 900001, "name": "A", "code": "A"})
    child = make_department(admin_user, "A-1", parent=moved)
    lookalike = svc.create(actor=admin_user, data={"id": 9000015, "name": "B", "code": "B"})
    assert reload(lookalike).path == "/9000015/"

    svc.update(actor=admin_user, instance=moved, data={"parent": dept["IT"]})

    assert reload(moved).path == f"{dept['IT'].path}900001/"
    assert reload(child).path == f"{dept['IT'].path}900001/{child.pk}/"
    assert reload(lookalike).path == "/9000015/"


@pytest.mark.parametrize("target", ["self", "child", "grandchild"])
def test_department_parent_loop_rejected_and_nothing_changes(admin_user, dept, target):
    sales = dept["SALES"]
    grandchild = make_department(admin_user, "E-TEAM", parent=dept["SALES-E"])
    new_parent = {"self": sales, "child": dept["SALES-E"], "grandchild": grandchild}[target]
    before = snapshot(reload(sales))
    paths = dict(Department.objects.values_list("code", "path"))
    audits = audit().count()

    with pytest.raises(ValidationError) as err:
        services.department_service.update(actor=admin_user, instance=reload(sales), data={"parent": new_parent})

    assert "parent" in err.value.message_dict
    assert_unchanged(sales, before)
    assert reload(sales).version == sales.version
    assert dict(Department.objects.values_list("code", "path")) == paths
    assert audit().count() == audits


def test_department_delete_refused_with_children_or_members(admin_user, dept):
    count = Department.objects.count()
    with translation.override("en"), pytest.raises(ValidationError, match="sub-departments"):
        services.department_service.delete(actor=admin_user, instance=dept["SALES"])
    with translation.override("en"), pytest.raises(ValidationError, match="users"):
        services.department_service.delete(actor=admin_user, instance=dept["SALES-E"])
    assert Department.objects.count() == count
    assert not audit(obj=dept["SALES"]).exists()


def test_department_delete_leaf_is_audited(admin_user, dept):
    leaf = make_department(admin_user, "TEMP", parent=dept["IT"], name="临时组")
    pk = leaf.pk
    services.department_service.delete(actor=admin_user, instance=leaf)
    assert not Department.objects.filter(pk=pk).exists()
    entry = audit(object_id=str(pk), content_type__model="department").exclude(action="create").get()
    assert entry.action in {"delete", "purge"}
    assert entry.changes["name"] == ["临时组", None]
    assert entry.actor == admin_user


def test_department_stale_version_is_a_conflict(admin_user, dept):
    east = dept["SALES-E"]
    services.department_service.update(actor=admin_user, instance=reload(east), data={"order": 5}, version=1)
    before = snapshot(reload(east))
    with pytest.raises(VersionConflict):
        services.department_service.update(actor=admin_user, instance=reload(east), data={"name": "X"}, version=1)
    assert_unchanged(east, before)
    assert reload(east).version == 2


# --- users ------------------------------------------------------------------------------------
def test_user_create_with_password(admin_user, dept):
    user = services.user_service.create(
        actor=admin_user,
        data={"username": "dave", "name": "戴夫", "department": dept["SALES-E"], "password": STRONG},
    )
    user = reload(user)
    assert user.check_password(STRONG)
    assert user.password.startswith("argon2")
    entry = audit("create", user).get()
    assert entry.changes["username"] == [None, "dave"]
    assert "password" not in entry.changes


def test_user_create_without_password_gets_unusable_one(admin_user):
    user = reload(services.user_service.create(actor=admin_user, data={"username": "erin"}))
    assert not user.has_usable_password()
    assert user.is_active


def test_user_create_with_weak_password_creates_nothing(admin_user):
    count = User.objects.count()
    with pytest.raises(ValidationError):
        services.user_service.create(actor=admin_user, data={"username": "frank", "password": "123"})
    assert User.objects.count() == count
    assert not audit("create").exists()


def test_user_delete_deactivates_and_keeps_the_row(admin_user, alice):
    services.user_service.delete(actor=admin_user, instance=alice)
    alice = reload(alice)
    assert not alice.is_active
    assert audit("delete", alice).get().changes == {"is_active": [True, False]}


def test_user_cannot_deactivate_themselves(admin_user):
    with pytest.raises(ValidationError):
        services.user_service.delete(actor=admin_user, instance=admin_user)
    assert reload(admin_user).is_active


def test_user_cannot_deactivate_themselves_by_editing(admin_user, alice):
    before = snapshot(reload(admin_user))
    with pytest.raises(ValidationError) as err:
        services.user_service.update(actor=admin_user, instance=reload(admin_user), data={"is_active": False})
    assert "is_active" in err.value.message_dict
    assert_unchanged(admin_user, before)
    # Others can be deactivated that way, and one can still edit oneself otherwise.
    services.user_service.update(actor=admin_user, instance=reload(alice), data={"is_active": False})
    assert not reload(alice).is_active
    services.user_service.update(actor=admin_user, instance=reload(admin_user), data={"phone": "1"})
    assert reload(admin_user).phone == "1"


def test_user_cannot_report_to_their_own_report(admin_user, manager, alice):
    before = snapshot(reload(manager))
    with pytest.raises(ValidationError) as err:
        services.user_service.update(actor=admin_user, instance=reload(manager), data={"manager": alice})
    assert "manager" in err.value.message_dict
    assert_unchanged(manager, before)


# --- passwords and language -------------------------------------------------------------------
def test_change_password_wrong_old_password(alice):
    hashed = reload(alice).password
    with pytest.raises(ValidationError) as err:
        services.user_change_password(user=alice, old_password="nope-nope-nope", new_password=STRONG)
    assert "old_password" in err.value.message_dict
    assert reload(alice).password == hashed
    assert not audit("password").exists()


def test_change_password_weak_new_password(alice):
    hashed = reload(alice).password
    with pytest.raises(ValidationError):
        services.user_change_password(user=alice, old_password=PASSWORD, new_password="123")
    assert reload(alice).password == hashed


def test_change_password_success_clears_forced_change(alice):
    User.objects.filter(pk=alice.pk).update(must_change_password=True)
    services.user_change_password(user=reload(alice), old_password=PASSWORD, new_password=STRONG)
    alice = reload(alice)
    assert alice.check_password(STRONG) and not alice.check_password(PASSWORD)
    assert not alice.must_change_password
    assert audit("password", alice, actor=alice).exists()


def test_admin_reset_forces_change_at_next_login(admin_user, alice):
    services.user_reset_password(actor=admin_user, user=alice, new_password=STRONG)
    alice = reload(alice)
    assert alice.check_password(STRONG)
    assert alice.must_change_password
    assert audit("password", alice, actor=admin_user).exists()


def test_admin_reset_refuses_weak_password(admin_user, alice):
    with pytest.raises(ValidationError):
        services.user_reset_password(actor=admin_user, user=alice, new_password="12345678")
    assert not reload(alice).must_change_password
    assert reload(alice).check_password(PASSWORD)


def test_set_language(alice):
    services.user_set_language(user=alice, language="en")
    assert reload(alice).language == "en"
    assert audit("update", alice).get().changes == {"language": ["zh-hans", "en"]}
    with pytest.raises(ValidationError):
        services.user_set_language(user=alice, language="fr")
    assert reload(alice).language == "en"


# --- roles, permissions, data scopes -----------------------------------------------------------
def test_role_permissions_reach_the_user(admin_user, alice):
    assert alice.has_perm("accounts.view_department")
    assert not alice.has_perm("accounts.view_user")
    role = Role.objects.get(code="account_manager")
    perms = [*role.permissions.all(), Permission.objects.get(codename="view_user")]
    services.role_set_permissions(actor=admin_user, role=role, permissions=perms)
    assert reload(alice).has_perm("accounts.view_user")
    assert "permissions" in audit("update", role).get().changes


def scope_role(code, scope):
    return Role.objects.create(name=code, code=code, data_scope=scope)


def test_user_scope_is_the_widest_of_the_roles(org, alice, manager, executive, admin_user):
    assert user_scope(alice) == DataScope.OWN
    assert user_scope(manager) == DataScope.DEPARTMENT_TREE
    assert user_scope(executive) == DataScope.ALL
    assert user_scope(admin_user) == DataScope.ALL

    nobody = User.objects.create(username="norole")
    assert user_scope(nobody) == DataScope.OWN

    alice.roles.add(scope_role("dept", DataScope.DEPARTMENT))
    assert user_scope(reload(alice)) == DataScope.DEPARTMENT
    alice.roles.add(scope_role("subs", DataScope.OWN_SUBORDINATES))
    assert user_scope(reload(alice)) == DataScope.DEPARTMENT  # the widest wins, not the last
    alice.roles.add(Role.objects.get(code="sales_manager"))
    assert user_scope(reload(alice)) == DataScope.DEPARTMENT_TREE


def test_subordinate_ids_follow_the_reporting_line(manager, alice, bob, charlie, executive):
    dave = User.objects.create(username="dave", manager=alice)
    erin = User.objects.create(username="erin", manager=dave)
    assert subordinate_ids(reload(manager)) == {manager.pk, alice.pk, bob.pk, charlie.pk, dave.pk, erin.pk}
    assert subordinate_ids(reload(alice)) == {alice.pk, dave.pk, erin.pk}
    assert subordinate_ids(reload(bob)) == {bob.pk}
    assert subordinate_ids(reload(executive)) == {executive.pk}


@pytest.fixture
def team(org, dept):
    """Users with `manager` playing the owner: dave reports to alice, erin to dave.

    alice, bob, dave: Sales East; charlie, erin: Sales North; manager: Sales; exec: Management.
    """
    dave = User.objects.create(username="dave", manager=org["alice"], department=dept["SALES-E"])
    erin = User.objects.create(username="erin", manager=dave, department=dept["SALES-N"])
    return {**org, "dave": dave, "erin": erin}


def scoped_usernames(user):
    q = owned_scope_q(user, owner_field="manager", department_field="department")
    qs = User.objects.all() if q is None else User.objects.filter(q)
    return set(qs.values_list("username", flat=True))


def with_scope(user, scope):
    role = Role.objects.get_or_create(code=f"scope{int(scope)}", defaults={"name": "s", "data_scope": scope})[0]
    user.roles.set([role])
    return reload(user)


def test_owned_scope_own(team):
    assert scoped_usernames(reload(team["alice"])) == {"dave"}
    assert scoped_usernames(reload(team["bob"])) == set()


def test_owned_scope_own_and_subordinates(team):
    alice = with_scope(team["alice"], DataScope.OWN_SUBORDINATES)
    # owner (manager) is alice or one of her subordinates (dave, erin)
    assert scoped_usernames(alice) == {"dave", "erin"}


def test_owned_scope_department(team):
    bob = with_scope(team["bob"], DataScope.DEPARTMENT)
    # Sales East members, plus anything bob owns (nothing)
    assert scoped_usernames(bob) == {"alice", "bob", "dave"}
    alice = with_scope(team["alice"], DataScope.DEPARTMENT)
    # her own department plus what she owns: dave (same dept)
    assert scoped_usernames(alice) == {"alice", "bob", "dave"}
    dave = with_scope(team["dave"], DataScope.DEPARTMENT)
    # erin is in another department but reports to dave: owned, so visible
    assert scoped_usernames(dave) == {"alice", "bob", "dave", "erin"}


def test_owned_scope_department_tree(team):
    manager = reload(team["manager"])
    assert scoped_usernames(manager) == {"manager", "alice", "bob", "charlie", "dave", "erin"}
    charlie = with_scope(team["charlie"], DataScope.DEPARTMENT_TREE)
    assert scoped_usernames(charlie) == {"charlie", "erin"}


def test_owned_scope_all(team):
    assert owned_scope_q(reload(team["exec"])) is None
    assert owned_scope_q(reload(team["admin"])) is None
    assert scoped_usernames(reload(team["exec"])) == set(User.objects.values_list("username", flat=True))


def test_owned_scope_without_department_falls_back_to_own(team):
    dave = with_scope(team["dave"], DataScope.DEPARTMENT_TREE)
    User.objects.filter(pk=dave.pk).update(department=None)
    assert scoped_usernames(reload(dave)) == {"erin"}


# --- API tokens -------------------------------------------------------------------------------
def test_token_create_stores_only_a_hash(alice):
    token, key = services.token_create(user=alice, name="laptop")
    assert key.startswith("gx_") and len(key) > 40
    assert token.prefix == key[:8]
    assert key not in (token.key_hash, token.prefix)
    assert ApiToken.find(key) == token
    assert ApiToken.find(key + "x") is None
    assert audit("token", token, actor=alice, message="created").exists()


def test_token_revoke(alice):
    token, key = services.token_create(user=alice)
    services.token_revoke(actor=alice, token=token)
    services.token_revoke(actor=alice, token=token)  # idempotent
    assert reload(token).revoked_at is not None
    assert ApiToken.find(key) is None
    assert audit("token", token, message="revoked").count() == 1


def test_seeding_the_organisation_keeps_every_apps_grants(db, monkeypatch):
    """bench/import_export.py called seed_organisation() before customers.demo was imported,
    and the roles lost their customer permissions."""
    import sys
    from collections import defaultdict

    from accounts.demo import seed_organisation
    from core import demo

    # As in a fresh process that has loaded only the accounts' demo module so far.
    foundation = defaultdict(
        set, {role: {p for p in perms if not p.startswith("customers.")} for role, perms in demo.ROLE_GRANTS.items()}
    )
    monkeypatch.setattr(demo, "ROLE_GRANTS", foundation)
    monkeypatch.setattr("accounts.demo.ROLE_GRANTS", foundation)
    monkeypatch.setattr(demo, "_seeders", list(demo._seeders))
    monkeypatch.delitem(sys.modules, "customers.demo", raising=False)
    users = seed_organisation()
    assert users["alice"].has_perm("customers.view_customer")
    assert User.objects.get(username="alice").has_perm("customers.add_customer")
