"""ScopedQuerySet.visible_to and data scopes."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import User
from basedata.models import DictItem, SystemParameter
from basedata.tests.factories import make_item, make_type
from core.scopes import DataScope, owned_scope_q, subordinate_ids, user_scope
from workspace.models import Notification, Todo

pytestmark = pytest.mark.django_db


def test_function_permission_decides_for_unowned_models(alice, executive, admin_user):
    make_item(make_type(), "red")
    assert DictItem.objects.visible_to(alice).filter(code="red").exists()
    assert not DictItem.objects.visible_to(alice, "change").exists()
    assert not DictItem.objects.visible_to(alice, "delete").exists()
    assert DictItem.objects.visible_to(admin_user, "change").filter(code="red").exists()
    # Parameters: executive views, alice does not.
    assert SystemParameter.objects.visible_to(executive).exists()
    assert not SystemParameter.objects.visible_to(alice).exists()
    assert not SystemParameter.objects.visible_to(executive, "change").exists()


def test_anonymous_none_and_inactive_users_see_nothing(alice, admin_user):
    make_item(make_type(), "red")
    assert not DictItem.objects.visible_to(AnonymousUser()).exists()
    assert not DictItem.objects.visible_to(None).exists()
    admin_user.is_active = False
    admin_user.save()
    fresh = User.objects.get(pk=admin_user.pk)
    assert not DictItem.objects.visible_to(fresh).exists()
    assert not Notification.objects.visible_to(fresh).exists()


def test_personal_models_show_only_own_rows_even_to_a_superuser(alice, admin_user):
    now = timezone.now()
    mine = Todo.objects.create(owner=admin_user, title="admin's", due_at=now)
    Todo.objects.create(owner=alice, title="alice's", due_at=now)
    Notification.objects.create(recipient=alice, title="for alice")
    assert list(Todo.objects.visible_to(admin_user)) == [mine]
    assert list(Todo.objects.visible_to(admin_user, "change")) == [mine]
    assert not Notification.objects.visible_to(admin_user).exists()
    assert [n.title for n in Notification.objects.visible_to(alice)] == ["for alice"]


def test_widest_role_scope_wins(alice, manager, executive, admin_user, org):
    from accounts.models import Role

    assert user_scope(alice) == DataScope.OWN
    assert user_scope(manager) == DataScope.DEPARTMENT_TREE
    assert user_scope(executive) == DataScope.ALL
    assert user_scope(admin_user) == DataScope.ALL
    bob = User.objects.get(username="bob")
    bob.roles.add(Role.objects.get(code="executive"))
    assert user_scope(User.objects.get(pk=bob.pk)) == DataScope.ALL


def test_owned_scope_queries(alice, bob, charlie, manager, executive):
    # Users stand in for an owned model: `manager` plays the owner column, department is real.
    def visible(user):
        q = owned_scope_q(user, owner_field="manager")
        qs = User.objects.all() if q is None else User.objects.filter(q)
        return set(qs.values_list("username", flat=True))

    assert owned_scope_q(executive) is None
    assert visible(alice) == set()  # nobody reports to alice
    # Department tree of Sales: alice, bob (Sales East), charlie (Sales North), manager (Sales).
    assert {"alice", "bob", "charlie", "manager"} <= visible(manager)
    assert not {"exec", "agent", "admin"} & visible(manager)
    assert subordinate_ids(manager) == {manager.pk, alice.pk, bob.pk, charlie.pk}
