"""Open to-dos follow the record when it changes hands (issue 11 item 4), and a record pending
review reaches its reviewers (issue 11 item 12)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.services import customer_release, customer_review, customers_transfer
from workspace.models import Notification, Todo

from .factories import make_customer, make_followup, reload

pytestmark = pytest.mark.django_db


def _open(target):
    return Todo.objects.filter(target_id=str(target.pk), done_at__isnull=True)


@pytest.fixture
def customer_with_todo(alice):
    customer = make_customer(alice, "待跟进科技有限公司")
    make_followup(alice, customer, next_followup_at=timezone.now() + timedelta(days=2))
    assert list(_open(customer).values_list("owner__username", flat=True)) == ["alice"]
    return customer


def test_transfer_moves_the_open_todo_to_the_new_owner(manager, bob, customer_with_todo):
    customers_transfer(actor=manager, customers=[customer_with_todo], new_owner=bob, reason="调岗")
    todo = _open(customer_with_todo).get()
    assert todo.owner == bob
    assert "李爱丽" in todo.note or "alice" in todo.note
    assert Notification.objects.filter(recipient=bob, title__contains=todo.title).exists()


def test_release_to_the_pool_closes_the_todo(alice, customer_with_todo):
    customer_release(actor=alice, customer=customer_with_todo, reason="无意向")
    assert not _open(customer_with_todo).exists()
    todo = Todo.objects.get(target_id=str(customer_with_todo.pk))
    assert todo.done_at is not None and todo.note


def test_no_todo_leads_to_a_404(alice, manager, bob, customer_with_todo, web):
    customers_transfer(actor=manager, customers=[customer_with_todo], new_owner=bob, reason="调岗")
    for todo in Todo.objects.filter(done_at__isnull=True, target_id=str(customer_with_todo.pk)):
        assert web(todo.owner.username).get(todo.link).status_code == 200


def test_a_todo_its_holder_can_still_open_stays(manager, bob, alice):
    # The manager's own to-do about alice's customer: still in his scope after a transfer.
    from workspace.services import todo_create

    customer = make_customer(alice, "主管关注的公司")
    todo_create(actor=manager, owner=manager, title="看看", due_at=timezone.now() + timedelta(days=1), target=customer)
    customers_transfer(actor=manager, customers=[customer], new_owner=bob, reason="调岗")
    assert _open(customer).get().owner == manager


def test_pending_record_reaches_its_reviewers(param, charlie, manager, admin_user):
    param("data_review_enabled", "1")
    customer = make_customer(charlie, "待审核北方公司")
    assert reload(customer).review_status == "pending"
    # The sales manager and the administrator hold the review permission; the account managers do not.
    assert {t.owner for t in _open(customer)} == {manager, admin_user}
    assert Notification.objects.filter(recipient=manager).exists()
    customer_review(actor=manager, customer=reload(customer), approve=True)
    assert not _open(customer).exists()


def test_returned_and_resubmitted_record_asks_again(param, charlie, manager, admin_user):
    from customers.services import customer_service

    param("data_review_enabled", "1")
    customer = make_customer(charlie, "退回再提交公司")
    customer_review(actor=manager, customer=reload(customer), approve=False, comment="补充地址")
    assert not _open(customer).exists()
    customer_service.update(actor=charlie, instance=reload(customer), data={"address": "北京市朝阳区1号"})
    assert reload(customer).review_status == "pending"
    assert {t.owner for t in _open(customer)} == {manager, admin_user}
