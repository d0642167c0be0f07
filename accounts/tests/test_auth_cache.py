"""The shared auth snapshot (accounts/auth_cache.py): fewer queries, never stale rights."""

import pytest

from accounts.models import Department, Role
from accounts.services import department_service
from core.testing.helpers import get_with_sql
from customers.models import Customer
from customers.tests.factories import make_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_cache")]

LIST = "/customers/customers/"


def test_rights_are_read_once_then_shared_by_requests(web):
    client = web("alice")
    client.get(LIST)
    response, sql = get_with_sql(client, LIST)
    assert response.status_code == 200
    assert not any("auth_permission" in q or "accounts_role" in q for q in sql)


def test_a_removed_role_takes_effect_on_the_next_request(web, org):
    alice = org["alice"]
    client = web("alice")
    assert client.get(LIST).status_code == 200
    roles = list(alice.roles.all())
    alice.roles.clear()
    assert client.get(LIST).status_code == 403
    alice.roles.set(roles)
    assert client.get(LIST).status_code == 200


def test_a_permission_taken_from_a_role_takes_effect_on_the_next_request(web, org):
    client = web("alice")
    assert client.get(LIST).status_code == 200
    for role in org["alice"].roles.all():
        role.permissions.remove(*role.permissions.filter(codename="view_customer"))
    assert client.get(LIST).status_code == 403


def test_a_wider_data_scope_and_a_new_department_take_effect_at_once(web, org):
    alice, bob = org["alice"], org["bob"]
    bobs = make_customer(bob, name="鲍勃的客户")
    client = web("alice")
    url = f"/customers/customers/{bobs.pk}/"
    assert client.get(url).status_code == 404  # own records only
    role = Role.objects.create(name="全部客户", data_scope=50)
    role.permissions.set(alice.roles.first().permissions.all())
    alice.roles.add(role)
    assert client.get(url).status_code == 200
    alice.roles.remove(role)
    assert client.get(url).status_code == 404
    assert Customer.objects.filter(pk=bobs.pk).exists()
    # A department move is seen by department scopes on the next request.
    other = Department.objects.create(name="新部门", code="NEW")
    alice.department = other
    alice.save()
    alice.refresh_from_db()
    client.get(LIST)
    assert alice.crm_department == other


def test_a_new_sub_department_is_in_a_tree_scope_at_once(web, org):
    manager, bob = org["manager"], org["bob"]
    client = web("manager")
    assert client.get(LIST).status_code == 200  # the snapshot now holds the department tree
    sub = department_service.create(
        actor=org["admin"], data={"name": "新分部", "code": "SALES-NEW", "parent": manager.department}
    )
    other = department_service.create(actor=org["admin"], data={"name": "别处", "code": "ELSEWHERE"})
    inside = make_customer(bob, name="分部客户")
    outside = make_customer(bob, name="别处客户")
    Customer.objects.filter(pk=inside.pk).update(department=sub, owner=None)
    Customer.objects.filter(pk=outside.pk).update(department=other, owner=None)
    assert client.get(f"/customers/customers/{inside.pk}/").status_code == 200
    assert client.get(f"/customers/customers/{outside.pk}/").status_code == 404


def test_the_signed_in_user_is_read_without_a_query(web):
    client = web("alice")
    client.get(LIST)
    response, sql = get_with_sql(client, LIST)
    assert response.status_code == 200
    assert not any(q.startswith('SELECT "accounts_user"."id", "accounts_user"."password"') for q in sql)


def test_a_deactivated_user_is_signed_out_on_the_next_request(web, org):
    client = web("alice")
    assert client.get(LIST).status_code == 200
    alice = org["alice"]
    alice.is_active = False
    alice.save()
    assert client.get(LIST).status_code == 302


def test_a_password_reset_ends_the_users_sessions(web, org):
    from accounts.services import user_reset_password

    client = web("alice")
    assert client.get(LIST).status_code == 200
    user_reset_password(actor=org["admin"], user=org["alice"], new_password="another-pass-2026")
    assert client.get(LIST).status_code == 302


def test_saving_the_cached_user_keeps_the_password(web, org):
    client = web("alice")
    client.get(LIST)  # the next request reads alice from the cache, without her password hash
    assert client.post("/i18n/setlang/", {"language": "en", "next": LIST}).status_code == 302
    alice = type(org["alice"]).objects.get(pk=org["alice"].pk)
    assert alice.language == "en"
    assert alice.check_password("demo-pass-2026")
    assert client.get(LIST).status_code == 200  # still signed in
