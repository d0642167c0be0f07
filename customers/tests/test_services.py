"""Customer services: names and codes, contacts, follow-ups, the pool, batch work, merge, recycle bin, review."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import CodeSequence
from core.testing.helpers import assert_unchanged, snapshot
from customers.models import ClaimLog, Contact, Customer, FollowUp, OwnerHistory
from customers.services import (
    contact_service,
    customer_assign,
    customer_claim,
    customer_merge,
    customer_release,
    customer_review,
    customer_service,
    customers_tag,
    customers_transfer,
    next_codes,
    normalise_name,
    pool_recycle,
)

from .factories import audit, make_contact, make_customer, make_followup, reload

pytestmark = pytest.mark.django_db


def notifications(user):
    from workspace.models import Notification

    return Notification.objects.filter(recipient=user)


# --- set-up ------------------------------------------------------------------------------------
def test_roles_carry_the_customers_permissions(alice, bob, manager, executive, agent, admin_user):
    assert alice.has_perm("customers.view_customer") and alice.has_perm("customers.claim_customer")
    assert alice.has_perm("customers.release_customer") and alice.has_perm("customers.import_customer")
    assert not alice.has_perm("customers.transfer_customer")
    assert not alice.has_perm("customers.save_duplicate_customer")
    assert not alice.has_perm("customers.purge_customer")
    for perm in ("assign", "transfer", "merge", "review", "save_duplicate"):
        assert manager.has_perm(f"customers.{perm}_customer"), perm
    assert executive.has_perm("customers.view_customer") and executive.has_perm("customers.export_customer")
    assert not executive.has_perm("customers.change_customer")
    assert agent.has_perm("customers.view_customer") and not agent.has_perm("customers.change_customer")
    assert admin_user.has_perm("customers.purge_customer")


# --- names and codes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "a, b",
    [
        ("北京龙虎科技有限公司", "北京龙虎科技有限责任公司"),
        ("北京龙虎科技有限公司", "北京龙虎科技"),
        ("北京龙虎科技有限公司", "北京龙虎科技股份有限公司"),
        ("北京龙虎科技有限公司", " 北京 龙虎 科技 有限公司 "),
        ("北京龙虎科技（集团）有限公司", "北京龙虎科技(集团)有限公司"),
        ("北京龙虎科技【集团】有限公司", "北京龙虎科技[集团]有限公司"),
        ("ＡＢＣ科技有限公司", "ABC科技有限公司"),
        ("Acme Trading Co., Ltd.", "ACME TRADING CO.,LTD"),
        ("Acme Trading Co., Ltd.", "Acme Trading Company Limited"),
        ("Acme Trading Co., Ltd.", "acme trading"),
        ("Acme Trading Co., Ltd.", "Acme Trading Ltd"),
        ("Acme Trading Co., Ltd.", "Ａｃｍｅ　Ｔｒａｄｉｎｇ"),
    ],
)
def test_normalise_name_equivalences(a, b):
    assert normalise_name(a) == normalise_name(b) != ""


@pytest.mark.parametrize(
    "a, b", [("北京龙虎科技", "上海龙虎科技"), ("Acme Trading", "Acme Tradings"), ("有限公司", "公司")]
)
def test_normalise_name_keeps_different_names_apart(a, b):
    assert normalise_name(a) != normalise_name(b)


def test_auto_codes_follow_the_pattern_and_increment(alice):
    now = timezone.localtime()
    first = make_customer(alice)
    second = make_customer(alice)
    prefix = f"KH{now:%Y}{now:%m}-"
    assert re.fullmatch(rf"{prefix}\d{{6}}", first.code), first.code
    assert int(second.code[-6:]) == int(first.code[-6:]) + 1
    assert first.code != second.code


def test_code_pattern_is_configurable(alice, param):
    param("customer_code_pattern", "C{yyyy}-{seq:04}")
    customer = make_customer(alice)
    assert re.fullmatch(rf"C{timezone.localtime():%Y}-0001", customer.code)


def test_codes_go_on_past_the_padding(alice, param):
    param("customer_code_pattern", "C{yyyy}-{seq:02}")
    year = f"{timezone.localtime():%Y}"
    codes = [make_customer(alice).code for _ in range(3)]
    assert codes == [f"C{year}-01", f"C{year}-02", f"C{year}-03"]
    Customer.all_objects.filter(code=codes[1]).update(code=f"C{year}-99")
    Customer.all_objects.filter(code=codes[2]).update(code=f"C{year}-100")
    CodeSequence.objects.all().delete()  # as on a database written before the sequence table
    assert make_customer(alice).code == f"C{year}-101"  # text order ranks -99 last and gave -100 again
    assert make_customer(alice).code == f"C{year}-102"


def test_next_codes_reserves_a_consecutive_block(alice):
    first = next_codes("T{yyyy}-{seq:03}", 3)
    second = next_codes("T{yyyy}-{seq:03}", 2)
    year = f"{timezone.localtime():%Y}"
    assert first == [f"T{year}-001", f"T{year}-002", f"T{year}-003"]
    assert second == [f"T{year}-004", f"T{year}-005"]


def test_codes_are_unique_in_the_database(alice):
    customer = make_customer(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=make_customer(alice).pk).update(code=customer.code)


def test_a_deleted_customer_keeps_its_code_taken(alice):
    first = make_customer(alice)
    customer_service.delete(actor=alice, instance=first)
    assert make_customer(alice).code != first.code


def test_create_sets_owner_department_history_and_audit(alice):
    customer = make_customer(alice, name="华信软件有限公司")
    assert customer.owner == alice and customer.department_id == alice.department_id
    assert customer.created_by == alice and customer.review_status == Customer.Review.APPROVED
    assert OwnerHistory.objects.filter(customer=customer, action="create", to_owner=alice).exists()
    assert audit("create", customer).exists()
    assert customer.name_key == normalise_name("华信软件有限公司")


# --- validation at the model level -------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("mobile", "12345678901"),
        ("mobile", "1381234567"),
        ("mobile", "12012345678"),
        ("phone", "12345678"),
        ("email", "not-an-email"),
        ("postal_code", "10001"),
        ("qq", "12345abc"),
        ("qq", "1" * 21),
        ("name", "名" * 51),
        ("name", ""),
        ("website", "not a url"),
    ],
)
def test_service_refuses_invalid_fields(alice, field, value):
    with pytest.raises(ValidationError) as e:
        make_customer(alice, **{"name": "有效客户", field: value})
    assert field in e.value.message_dict
    assert not Customer.all_objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("mobile", "13812345678"),
        ("mobile", "19912345678"),
        ("phone", "010-12345678"),
        ("phone", "0755-1234567-801"),
        ("phone", "13912345678"),
        ("postal_code", "100000"),
        ("qq", "12345"),
        ("qq", "1" * 20),
        ("name", "名" * 50),
    ],
)
def test_service_accepts_valid_fields(alice, field, value):
    customer = make_customer(alice, **{"name": "有效客户", field: value})
    assert getattr(reload(customer), field) == value


# --- duplicates --------------------------------------------------------------------------------
def test_duplicate_name_is_refused_without_confirmation(alice, bob):
    make_customer(alice, name="北京龙虎科技有限公司")
    with pytest.raises(ValidationError) as e:
        make_customer(bob, name="北京龙虎科技有限责任公司")
    assert "name" in e.value.message_dict
    assert Customer.objects.count() == 1


def test_duplicate_with_confirmation_needs_the_permission(alice, bob, manager):
    make_customer(alice, name="北京龙虎科技有限公司")
    with pytest.raises(ValidationError):
        make_customer(bob, name="北京龙虎科技（有限公司）", confirm_duplicate=True)
    assert Customer.objects.count() == 1
    saved = make_customer(manager, name="北京龙虎科技（有限公司）", confirm_duplicate=True)
    assert saved.pk and Customer.objects.count() == 2


def test_duplicate_phone_mobile_and_email_are_found(alice, bob):
    make_customer(alice, name="甲公司", phone="010-12345678", mobile="13812345678", email="Info@Example.cn")
    for data in (
        {"phone": "010-12345678"},
        {"mobile": "13812345678"},
        {"phone": "13812345678"},
        {"email": "info@example.cn"},
    ):
        with pytest.raises(ValidationError):
            make_customer(bob, name="乙公司", **data)
    assert Customer.objects.count() == 1


def test_editing_into_a_duplicate_is_refused(alice):
    make_customer(alice, name="东方贸易有限公司")
    other = make_customer(alice, name="西方贸易有限公司")
    before = snapshot(other)
    with pytest.raises(ValidationError):
        customer_service.update(actor=alice, instance=reload(other), data={"name": "东方贸易"})
    assert_unchanged(other, before)
    # Saving other fields of a record does not trip over itself.
    customer_service.update(actor=alice, instance=reload(other), data={"name": "西方贸易有限公司", "address": "x"})


def test_a_deleted_customer_is_no_duplicate(alice):
    first = make_customer(alice, name="东方贸易有限公司")
    customer_service.delete(actor=alice, instance=first)
    assert make_customer(alice, name="东方贸易有限公司").pk


# --- contacts ----------------------------------------------------------------------------------
def test_first_contact_is_primary_and_a_new_primary_replaces_the_old(alice):
    customer = make_customer(alice)
    first = make_contact(alice, customer, name="王华")
    second = make_contact(alice, customer, name="李明")
    assert reload(first).is_primary and not reload(second).is_primary
    third = make_contact(alice, customer, name="赵强", is_primary=True)
    assert reload(third).is_primary and not reload(first).is_primary
    contact_service.update(actor=alice, instance=reload(second), data={"is_primary": True})
    assert list(Contact.objects.filter(customer=customer, is_primary=True)) == [reload(second)]


def test_database_allows_one_primary_contact(alice):
    customer = make_customer(alice)
    make_contact(alice, customer, name="王华")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(customer=customer, name="李明", is_primary=True)


def test_restoring_a_primary_contact_does_not_break_the_one_primary_rule(alice):
    customer = make_customer(alice)
    first = make_contact(alice, customer, name="王华")
    contact_service.delete(actor=alice, instance=reload(first))
    second = make_contact(alice, customer, name="李明")
    assert reload(second).is_primary
    contact_service.restore(actor=alice, instance=Contact.all_objects.get(pk=first.pk))
    assert reload(first).deleted_at is None
    assert Contact.objects.filter(customer=customer, is_primary=True).count() == 1


def test_contact_names_are_searchable_after_create_and_delete(alice):
    from customers.search import search_customers

    customer = make_customer(alice, name="甲公司")
    contact = make_contact(alice, customer, name="单田芳")
    assert list(search_customers(Customer.objects.all(), "stf")) == [customer]
    contact_service.delete(actor=alice, instance=reload(contact))
    assert list(search_customers(Customer.objects.all(), "stf")) == []


# --- follow-ups --------------------------------------------------------------------------------
def test_followup_updates_customer_dates_and_makes_a_todo_for_the_owner(alice, manager):
    from workspace.models import Todo

    customer = make_customer(alice)
    happened = timezone.now() - timedelta(hours=1)
    next_at = timezone.now() + timedelta(days=3)
    followup = make_followup(manager, customer, happened_at=happened, next_followup_at=next_at, summary="上门拜访")
    customer = reload(customer)
    assert customer.last_followup_at == happened and customer.next_followup_at == next_at
    todo = Todo.objects.get(owner=alice)
    assert todo.due_at == next_at and todo.target_id == str(customer.pk)
    assert todo.link == customer.get_absolute_url()
    assert audit("create", followup).exists()


def test_an_older_followup_does_not_move_the_last_date_back(alice):
    customer = make_customer(alice)
    recent = timezone.now() - timedelta(hours=1)
    make_followup(alice, customer, happened_at=recent)
    make_followup(alice, customer, happened_at=recent - timedelta(days=5))
    assert reload(customer).last_followup_at == recent


def test_followup_without_next_date_makes_no_todo(alice):
    from workspace.models import Todo

    make_followup(alice, make_customer(alice))
    assert not Todo.objects.exists()


# --- the public pool ---------------------------------------------------------------------------
def test_release_needs_a_reason_and_changes_nothing_without_one(alice):
    customer = make_customer(alice)
    before = snapshot(customer)
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError) as e:
            customer_release(actor=alice, customer=reload(customer), reason=reason)
        assert "reason" in e.value.message_dict
    assert_unchanged(customer, before)


def test_release_puts_the_customer_in_the_pool_with_history(alice):
    customer = make_customer(alice)
    version = customer.version
    customer_release(actor=alice, customer=reload(customer), reason="不再跟进")
    customer = reload(customer)
    assert customer.in_pool and customer.owner is None and customer.department is None
    assert customer.pool_reason == "不再跟进" and customer.pool_entered_at
    assert customer.version > version  # a form opened before the release is now stale
    h = OwnerHistory.objects.get(customer=customer, action="release")
    assert h.from_owner == alice and h.to_owner is None and h.actor == alice and h.reason == "不再跟进"
    with pytest.raises(ValidationError):
        customer_release(actor=alice, customer=customer, reason="again")


def pooled(owner, **data):
    customer = make_customer(owner, **data)
    return customer_release(actor=owner, customer=reload(customer), reason="放入公海")


def test_claim_by_another_user(alice, bob):
    customer = pooled(alice)
    customer_claim(actor=bob, customer=reload(customer))
    customer = reload(customer)
    assert customer.owner == bob and not customer.in_pool and customer.department_id == bob.department_id
    assert customer.claimed_at
    assert OwnerHistory.objects.filter(customer=customer, action="claim", to_owner=bob).exists()
    assert ClaimLog.objects.filter(user=bob, customer=customer).count() == 1


def test_claim_beyond_the_owner_cap_changes_nothing(alice, bob, param):
    param("customer_cap_account_manager", 2)
    make_customer(bob)
    make_customer(bob)
    customer = pooled(alice)
    before = snapshot(customer)
    with pytest.raises(ValidationError) as e:
        customer_claim(actor=bob, customer=reload(customer))
    assert "2" in e.value.messages[0] and "most" in e.value.messages[0]
    assert_unchanged(customer, before)
    assert not ClaimLog.objects.exists()


def test_claim_beyond_the_daily_quota_changes_nothing(alice, bob, param):
    param("pool_claim_daily_quota", 1)
    first, second = pooled(alice), pooled(alice)
    customer_claim(actor=bob, customer=reload(first))
    before = snapshot(second)
    with pytest.raises(ValidationError) as e:
        customer_claim(actor=bob, customer=reload(second))
    assert "quota" in e.value.messages[0]
    assert_unchanged(second, before)


def test_two_claims_of_one_customer_only_one_wins(alice, bob, charlie):
    customer = pooled(alice)
    stale_for_charlie = reload(customer)
    customer_claim(actor=bob, customer=reload(customer))
    before = snapshot(reload(customer))
    with pytest.raises(ValidationError) as e:
        customer_claim(actor=charlie, customer=stale_for_charlie)
    assert "Someone else claimed" in e.value.messages[0]
    assert reload(customer).owner == bob
    assert_unchanged(customer, before)
    assert not ClaimLog.objects.filter(user=charlie).exists()


def test_manager_assigns_from_the_pool_and_the_owner_is_told(alice, bob, manager):
    customer = pooled(alice)
    customer_assign(actor=manager, customer=reload(customer), owner=bob)
    customer = reload(customer)
    assert customer.owner == bob and not customer.in_pool
    assert notifications(bob).filter(target_id=str(customer.pk)).exists()
    assert OwnerHistory.objects.filter(customer=customer, action="assign", to_owner=bob, actor=manager).exists()
    with pytest.raises(ValidationError):  # no longer in the pool
        customer_assign(actor=manager, customer=customer, owner=alice)


def test_assign_to_a_deactivated_user_is_refused(alice, bob, manager):
    customer = pooled(alice)
    bob.is_active = False
    bob.save()
    before = snapshot(customer)
    with pytest.raises(ValidationError):
        customer_assign(actor=manager, customer=reload(customer), owner=bob)
    assert_unchanged(customer, before)


def _age(customer, days, now):
    Customer.objects.filter(pk=customer.pk).update(
        last_followup_at=now - timedelta(days=days), created_at=now - timedelta(days=days + 10)
    )


def test_pool_recycle_warns_then_recycles(alice, param):
    param("pool_recycle_days", 30)
    param("pool_warning_days", 3)
    now = timezone.now()
    warn_me = make_customer(alice, name="快到期客户")
    stale = make_customer(alice, name="久未跟进客户")
    fresh = make_customer(alice, name="最近跟进客户")
    _age(warn_me, 28, now)
    _age(stale, 40, now)
    _age(fresh, 2, now)
    result = pool_recycle(now=now)
    assert result == {"warned": 1, "recycled": 1}
    assert reload(warn_me).recycle_warned_at == now and not reload(warn_me).in_pool
    assert notifications(alice).filter(target_id=str(warn_me.pk), level="warning").exists()
    stale = reload(stale)
    assert stale.in_pool and stale.owner is None
    h = OwnerHistory.objects.get(customer=stale, action="recycle")
    assert h.from_owner == alice and h.actor is None
    assert notifications(alice).filter(target_id=str(stale.pk)).exclude(level="warning").exists()
    assert not reload(fresh).in_pool and reload(fresh).recycle_warned_at is None
    # Run again the same night: nothing new.
    assert pool_recycle(now=now) == {"warned": 0, "recycled": 0}
    # Days later the warned customer goes too.
    assert pool_recycle(now=now + timedelta(days=3))["recycled"] == 1
    assert reload(warn_me).in_pool


def test_pool_recycle_respects_the_protection_period_after_a_claim(alice, bob, param):
    param("pool_recycle_days", 30)
    param("pool_protection_days", 7)
    now = timezone.now()
    customer = pooled(alice)
    customer_claim(actor=bob, customer=reload(customer))
    _age(customer, 60, now)
    assert pool_recycle(now=now)["recycled"] == 0
    assert reload(customer).owner == bob
    Customer.objects.filter(pk=customer.pk).update(claimed_at=now - timedelta(days=8))
    assert pool_recycle(now=now)["recycled"] == 1
    assert reload(customer).in_pool


def test_a_followup_resets_the_recycle_warning(alice, param):
    param("pool_recycle_days", 30)
    now = timezone.now()
    customer = make_customer(alice)
    _age(customer, 28, now)
    assert pool_recycle(now=now)["warned"] == 1
    make_followup(alice, customer)
    assert reload(customer).recycle_warned_at is None
    assert pool_recycle(now=now)["recycled"] == 0


# --- batch -------------------------------------------------------------------------------------
def test_transfer_changes_owners_notifies_and_audits(alice, bob, charlie, manager):
    a1, a2 = make_customer(alice), make_customer(bob)
    moved = customers_transfer(actor=manager, customers=[reload(a1), reload(a2)], new_owner=charlie, reason="调岗")
    assert len(moved) == 2
    for c in (a1, a2):
        c = reload(c)
        assert c.owner == charlie and c.department_id == charlie.department_id
        assert OwnerHistory.objects.filter(customer=c, action="transfer", to_owner=charlie, reason="调岗").exists()
        assert audit("update", c, actor=manager).exists()
    assert notifications(alice).filter(target_id=str(a1.pk)).exists()
    assert notifications(bob).filter(target_id=str(a2.pk)).exists()
    assert notifications(charlie).exists()


def test_transfer_of_a_pool_customer_takes_it_out_of_the_pool(alice, bob, admin_user):
    customer = pooled(alice)
    customers_transfer(actor=admin_user, customers=[reload(customer)], new_owner=bob, reason="指派")
    customer = reload(customer)
    assert customer.owner == bob and not customer.in_pool and customer.pool_entered_at is None
    assert Customer.objects.visible_to(bob).filter(pk=customer.pk).exists()


def test_transfer_needs_a_reason(alice, bob, manager):
    customer = make_customer(alice)
    before = snapshot(customer)
    with pytest.raises(ValidationError) as e:
        customers_transfer(actor=manager, customers=[reload(customer)], new_owner=bob, reason=" ")
    assert "reason" in e.value.message_dict
    assert_unchanged(customer, before)


def test_bulk_tag_adds_and_removes(alice):
    from customers.models import Tag

    vip, fair = Tag.objects.create(name="VIP"), Tag.objects.create(name="展会")
    a, b = make_customer(alice), make_customer(alice)
    customers_tag(actor=alice, customers=[reload(a), reload(b)], tags=[vip, fair])
    assert set(reload(a).tags.all()) == {vip, fair} and set(reload(b).tags.all()) == {vip, fair}
    customers_tag(actor=alice, customers=[reload(a)], tags=[vip], remove=True)
    assert set(reload(a).tags.all()) == {fair}
    assert audit("update", a).exists()


# --- merge -------------------------------------------------------------------------------------
def test_merge_moves_contacts_and_followups_and_deletes_the_other(alice, manager):
    keep = make_customer(alice, name="龙虎科技有限公司")
    remove = make_customer(alice, name="龙虎科技（北京）", mobile="13812345678")
    make_contact(alice, keep, name="王华")
    moved_contact = make_contact(alice, remove, name="李明")
    followup = make_followup(alice, remove, summary="拜访")
    customer_merge(actor=manager, keep=reload(keep), remove=reload(remove))
    assert reload(moved_contact).customer_id == keep.pk
    assert reload(followup).customer_id == keep.pk
    assert Contact.objects.filter(customer=keep, is_primary=True).count() == 1
    assert reload(remove).deleted_at is not None
    assert reload(keep).mobile == "13812345678"  # empty fields filled from the other record
    assert any("merged" in e.changes for e in audit("update", keep, actor=manager))
    assert audit("delete", remove).exists()
    assert OwnerHistory.objects.filter(customer=keep, action="merge").exists()
    from customers.search import search_customers

    assert list(search_customers(Customer.objects.all(), "李明")) == [reload(keep)]


def test_merge_keeps_one_primary_when_the_kept_customer_had_none(alice, manager):
    keep = make_customer(alice, name="甲公司")
    remove = make_customer(alice, name="乙公司")
    contact = make_contact(alice, remove, name="李明")
    customer_merge(actor=manager, keep=reload(keep), remove=reload(remove))
    assert reload(contact).is_primary


def test_merge_with_itself_is_refused(alice, manager):
    customer = make_customer(alice)
    with pytest.raises(ValidationError):
        customer_merge(actor=manager, keep=reload(customer), remove=reload(customer))
    assert reload(customer).deleted_at is None


# --- recycle bin -------------------------------------------------------------------------------
def test_delete_hides_contacts_and_followups_and_restore_brings_them_back(alice):
    customer = make_customer(alice)
    contact = make_contact(alice, customer)
    followup = make_followup(alice, customer)
    customer_service.delete(actor=alice, instance=reload(customer))
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not FollowUp.objects.filter(pk=followup.pk).exists()
    customer_service.restore(actor=alice, instance=Customer.all_objects.get(pk=customer.pk))
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert FollowUp.objects.filter(pk=followup.pk).exists()
    assert audit("restore", customer).exists()


def test_restore_leaves_contacts_deleted_earlier_in_the_bin(alice):
    customer = make_customer(alice)
    earlier = make_contact(alice, customer, name="王华")
    contact_service.delete(actor=alice, instance=reload(earlier))
    customer_service.delete(actor=alice, instance=reload(customer))
    customer_service.restore(actor=alice, instance=Customer.all_objects.get(pk=customer.pk))
    assert reload(earlier).deleted_at is not None


# --- data review -------------------------------------------------------------------------------
def test_review_flow(alice, bob, charlie, manager, executive, param):
    param("data_review_enabled", 1)
    customer = make_customer(alice, name="待审核客户")
    assert customer.review_status == Customer.Review.PENDING
    visible = lambda user: Customer.objects.visible_to(user).filter(pk=customer.pk).exists()  # noqa: E731
    assert visible(alice) and visible(manager)
    assert not visible(bob) and not visible(charlie) and not visible(executive)
    with pytest.raises(ValidationError) as e:
        customer_review(actor=manager, customer=reload(customer), approve=False, comment=" ")
    assert "comment" in e.value.message_dict
    assert reload(customer).review_status == Customer.Review.PENDING
    customer_review(actor=manager, customer=reload(customer), approve=False, comment="请补充地址")
    customer = reload(customer)
    assert customer.review_status == Customer.Review.RETURNED and customer.review_comment == "请补充地址"
    assert notifications(alice).filter(target_id=str(customer.pk)).exists()
    customer_service.update(actor=alice, instance=customer, data={"address": "北京市朝阳区"})
    assert reload(customer).review_status == Customer.Review.PENDING
    customer_review(actor=manager, customer=reload(customer), approve=True)
    assert reload(customer).review_status == Customer.Review.APPROVED
    assert visible(executive) and not visible(bob)
    with pytest.raises(ValidationError):
        customer_review(actor=manager, customer=reload(customer), approve=True)


def test_review_two_levels(alice, manager, param):
    param("data_review_enabled", 1)
    param("data_review_two_levels", 1)
    customer = make_customer(alice)
    customer_review(actor=manager, customer=reload(customer), approve=True)
    assert reload(customer).review_status == Customer.Review.SECOND
    customer_review(actor=manager, customer=reload(customer), approve=True)
    assert reload(customer).review_status == Customer.Review.APPROVED


def test_reviewers_create_approved_records(manager, param):
    param("data_review_enabled", 1)
    assert make_customer(manager).review_status == Customer.Review.APPROVED


# --- care --------------------------------------------------------------------------------------
def test_care_reminders_tell_the_owner(alice):
    from customers.services import care_reminders

    today = timezone.localdate()
    customer = make_customer(alice)
    make_contact(alice, customer, name="王华", birthday=(today + timedelta(days=3)).replace(year=1980))
    assert care_reminders(today=today) == 1
    assert notifications(alice).filter(link="/customers/care/").exists()
