"""Customer web screens: forms and validation, duplicate warning, pool, batch actions, merge,
recycle bin, review, filters and saved views, 360° page, overview, care, export, import."""

import csv
import io
from datetime import timedelta
from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.testing.helpers import assert_unchanged, snapshot
from customers.models import Contact, Customer, FollowUp, OwnerHistory, Tag
from customers.services import customer_release

from .factories import audit, make_contact, make_customer, make_followup, reload, xlsx_bytes

pytestmark = pytest.mark.django_db

LIST = "/customers/customers/"
ADD = "/customers/customers/add/"


def speak(user, language):
    user.language = language
    user.save(update_fields=["language"])


def notifications(user):
    from workspace.models import Notification

    return Notification.objects.filter(recipient=user)


def rows(response):
    return {r.record.name for r in response.context["table"].page.object_list}


# --- validation (CUS-2) ------------------------------------------------------------------------
MOBILE = "Enter an 11-digit mainland mobile number with a valid carrier prefix, e.g. 13812345678."
INVALID = [
    ("mobile", "12345678901", MOBILE),
    ("mobile", "1381234567", MOBILE),
    ("mobile", "12012345678", MOBILE),
    ("phone", "12345678", "Enter a landline with area code (e.g. 010-12345678) or an 11-digit mobile number."),
    ("email", "alice@", "Enter a valid email address."),
    ("postal_code", "10001", "A postal code is exactly 6 digits."),
    ("qq", "12345abc", "A QQ number has digits only (5–20), not starting with 0."),
    ("qq", "1" * 21, "Ensure this value has at most 20 characters (it has 21)."),
    ("name", "名" * 51, "The customer name can be at most 50 characters."),
    ("name", "", "Enter the customer name."),
    ("website", "not a url", "Enter a valid URL."),
]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("field, value, message", INVALID)
def test_web_form_validation(alice, web, language, field, value, message):
    speak(alice, language)
    data = {"name": "有效客户", field: value}
    response = web("alice").post(ADD, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert f'data-field-error="{field}"' in response.content.decode()
    if language == "en":
        assert message in form.errors[field]
        assert escape(message, quote=False) in response.content.decode()
    assert not Customer.all_objects.exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("field, value, message", INVALID)
def test_api_validation(alice, api, language, field, value, message):
    client = api("alice")
    response = client.post("/api/v1/customers/", {"name": "有效客户", field: value}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and errors[field]
    if language == "en" and field != "name" and value != "1" * 21:
        assert message in errors[field]
    assert not Customer.all_objects.exists()


def test_contact_form_validation(alice, web):
    speak(alice, "en")
    customer = make_customer(alice)
    response = web("alice").post(
        "/customers/contacts/add/",
        {
            "customer": customer.pk,
            "name": "王华",
            "mobile": "12345678901",
            "qq": "abc",
            "email": "x@",
            "office_phone": "123",
        },
    )
    assert response.status_code == 200
    assert {"mobile", "qq", "email", "office_phone"} <= set(response.context["form"].errors)
    assert not Contact.objects.exists()


def test_valid_web_create_with_region_cascade(alice, web, regions, dicts):
    response = web("alice").post(
        ADD,
        {
            "name": "北京龙虎科技有限公司",
            "level": dicts["customer_level", "vip"].pk,
            "province": regions["bj"].pk,
            "city": regions["bjc"].pk,
            "district": regions["cy"].pk,
            "mobile": "13812345678",
            "phone": "010-12345678",
            "postal_code": "100020",
            "qq": "10001",
            "email": "info@longhu.cn",
            "website": "https://longhu.cn",
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    customer = Customer.objects.get()
    assert customer.owner == alice and customer.district == regions["cy"]
    # A city of another province is not a valid choice.
    response = web("alice").post(ADD, {"name": "另一家公司", "province": regions["bj"].pk, "city": regions["gz"].pk})
    assert "city" in response.context["form"].errors


def test_malformed_ids_are_field_errors_not_server_errors(alice, web):
    client = web("alice")
    client.raise_request_exception = False
    response = client.post(ADD, {"name": "甲公司", "province": "abc", "city": "1x", "district": "?"})
    assert response.status_code == 200 and "province" in response.context["form"].errors
    response = client.post(
        "/customers/followups/add/", {"customer": "abc", "summary": "x", "happened_at": "2026-01-05T10:00"}
    )
    assert response.status_code == 200 and "customer" in response.context["form"].errors
    assert client.get("/customers/followups/add/", {"customer": "abc"}).status_code == 200
    params = {"province": "abc", "owner": "zz", "tags": "q", "created_after": "notadate", "no_followup_days": "-5"}
    assert client.get(LIST, params).status_code == 200
    assert client.get("/customers/duplicate-check/", {"exclude": "abc", "name": "x"}).status_code == 200
    assert client.get("/customers/care/", {"days": "abc"}).status_code == 200
    assert client.get("/customers/pool/", {"level": "abc"}).status_code == 200
    assert not Customer.all_objects.exists() and not FollowUp.objects.exists()


def test_html_is_stored_and_shown_escaped(alice, web):
    payload = "<script>alert(1)</script>"
    response = web("alice").post(
        ADD, {"name": payload, "short_name": "<b>x</b>", "address": payload, "remark": payload}
    )
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.name == payload and customer.remark == payload
    make_contact(alice, customer, name="<img src=x onerror=alert(1)>")
    make_followup(alice, customer, summary=payload, detail=payload)
    for url in (LIST, customer.get_absolute_url(), "/customers/contacts/", "/customers/followups/"):
        text = web("alice").get(url).content.decode()
        assert "&lt;script&gt;" in text, url
        assert "<script>alert" not in text and "<img src=x" not in text, url


# --- duplicate check (CUS-3, CUS-15) -----------------------------------------------------------
def test_duplicate_check_links_visible_matches(alice, web):
    customer = make_customer(alice, name="北京龙虎科技有限公司")
    response = web("alice").get("/customers/duplicate-check/", {"name": "北京龙虎科技（有限责任公司）"})
    assert response.status_code == 200
    assert customer.get_absolute_url() in response.content.decode()


def test_duplicate_check_summarises_matches_outside_scope(alice, bob, web):
    speak(bob, "en")
    make_customer(alice, name="北京龙虎科技有限公司", mobile="13812345678")
    for params in ({"name": "北京龙虎科技"}, {"mobile": "13812345678"}):
        response = web("bob").get("/customers/duplicate-check/", params)
        text = response.content.decode()
        assert "A customer owned by 李爱丽 (华东销售部)" in text
        assert "/customers/customers/" not in text  # no link to a record bob may not open
        assert "有限公司" not in text  # nor its name (CUS-15)
    speak(bob, "zh-hans")
    text = web("bob").get("/customers/duplicate-check/", {"name": "北京龙虎科技"}).content.decode()
    assert "李爱丽" in text and "华东销售部" in text


def test_duplicate_check_for_a_pool_customer(alice, bob, web):
    speak(bob, "en")
    customer = make_customer(alice, name="北京龙虎科技有限公司")
    customer_release(actor=alice, customer=customer, reason="x")
    text = web("bob").get("/customers/duplicate-check/", {"name": "北京龙虎科技"}).content.decode()
    assert "A customer in the public pool" in text and "有限公司" not in text


def test_duplicate_summary_is_escaped(alice, bob, web):
    make_customer(alice, name="<b>龙虎</b>科技")
    text = web("alice").get("/customers/duplicate-check/", {"name": "<b>龙虎</b>科技"}).content.decode()
    assert "&lt;b&gt;龙虎" in text and "<b>龙虎" not in text
    alice.name = "<i>李爱丽</i>"
    alice.save(update_fields=["name"])
    text = web("bob").get("/customers/duplicate-check/", {"name": "<b>龙虎</b>科技"}).content.decode()
    assert "&lt;i&gt;李爱丽" in text and "<i>李爱丽" not in text
    assert "龙虎" not in text  # outside bob's scope: whose it is, not its name


def test_duplicate_check_with_nothing_similar_is_empty(alice, web):
    make_customer(alice, name="北京龙虎科技有限公司")
    response = web("alice").get("/customers/duplicate-check/", {"name": "上海华信"})
    assert "duplicate-alert" not in response.content.decode()


def test_creating_a_duplicate_on_the_web(alice, manager, web):
    make_customer(alice, name="北京龙虎科技有限公司")
    response = web("alice").post(ADD, {"name": "北京龙虎科技有限责任公司"})
    assert response.status_code == 200 and "name" in response.context["form"].errors
    response = web("alice").post(ADD, {"name": "北京龙虎科技有限责任公司", "confirm_duplicate": "on"})
    assert response.status_code == 200 and "name" in response.context["form"].errors
    assert Customer.objects.count() == 1
    assert 'name="confirm_duplicate"' not in web("alice").get(ADD).content.decode()
    assert 'name="confirm_duplicate"' in web("manager").get(ADD).content.decode()
    response = web("manager").post(ADD, {"name": "北京龙虎科技有限责任公司", "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_stale_edit_is_a_conflict(alice, web):
    customer = make_customer(alice, name="旧名称")
    client = web("alice")
    client.post(f"/customers/customers/{customer.pk}/edit/", {"name": "新名称一", "_version": customer.version})
    before = snapshot(reload(customer))
    response = client.post(
        f"/customers/customers/{customer.pk}/edit/", {"name": "新名称二", "_version": customer.version}
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert_unchanged(customer, before)
    assert reload(customer).name == "新名称一"


def test_edit_cannot_change_the_owner(alice, bob, web):
    customer = make_customer(alice)
    web("alice").post(
        f"/customers/customers/{customer.pk}/edit/", {"name": customer.name, "owner": bob.pk, "_version": 1}
    )
    assert reload(customer).owner == alice


# --- contacts and follow-ups on the web ------------------------------------------------------
def test_followup_with_next_date_on_the_web_makes_a_todo(alice, web):
    from workspace.models import Todo

    customer = make_customer(alice)
    now = timezone.localtime()
    response = web("alice").post(
        "/customers/followups/add/",
        {
            "customer": customer.pk,
            "happened_at": now.strftime("%Y-%m-%dT%H:%M"),
            "summary": "电话沟通需求",
            "next_followup_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    todo = Todo.objects.get(owner=alice)
    assert todo.target_id == str(customer.pk)
    assert timezone.localtime(todo.due_at).date() == (now + timedelta(days=2)).date()
    assert reload(customer).next_followup_at is not None
    assert "电话沟通需求" in web("alice").get("/workspace/todos/").content.decode()


def test_followup_next_date_must_be_later(alice, web):
    customer = make_customer(alice)
    now = timezone.localtime()
    response = web("alice").post(
        "/customers/followups/add/",
        {
            "customer": customer.pk,
            "happened_at": now.strftime("%Y-%m-%dT%H:%M"),
            "summary": "x",
            "next_followup_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert "next_followup_at" in response.context["form"].errors
    assert not FollowUp.objects.exists()


def test_followup_contact_of_another_customer_is_refused(alice, web):
    a, b = make_customer(alice), make_customer(alice)
    contact = make_contact(alice, b)
    response = web("alice").post(
        "/customers/followups/add/",
        {"customer": a.pk, "contact": contact.pk, "summary": "x", "happened_at": "2026-01-05T10:00"},
    )
    assert "contact" in response.context["form"].errors
    assert not FollowUp.objects.exists()


def test_primary_contact_via_web(alice, web):
    customer = make_customer(alice)
    first = make_contact(alice, customer, name="王华")
    response = web("alice").post(
        "/customers/contacts/add/", {"customer": customer.pk, "name": "李明", "is_primary": "on"}
    )
    assert response.status_code == 302
    assert not reload(first).is_primary
    assert Contact.objects.get(name="李明").is_primary


# --- pool --------------------------------------------------------------------------------------
def pooled(owner, **data):
    customer = make_customer(owner, **data)
    return customer_release(actor=owner, customer=customer, reason="放入公海")


def test_pool_list_masks_phone_and_email(alice, web, api):
    customer = pooled(alice, name="公海客户", phone="010-12345678", email="info@longhu.cn")
    mobile_only = pooled(alice, name="只有手机", mobile="13812345678")
    text = web("bob").get("/customers/pool/").content.decode()
    assert customer.name in text and mobile_only.name in text
    assert "010-12345678" not in text and "info@longhu.cn" not in text and "13812345678" not in text
    assert "010****5678" in text and "i***@longhu.cn" in text and "138****5678" in text
    data = api("bob").get("/api/v1/customers/pool/").json()
    by_name = {r["name"]: r for r in data["results"]}
    assert by_name["公海客户"]["phone"] == "010****5678" and by_name["公海客户"]["email"] == "i***@longhu.cn"
    assert by_name["只有手机"]["phone"] == "138****5678"
    assert "mobile" not in by_name["只有手机"]


def test_release_on_the_web_requires_a_reason(alice, web):
    customer = make_customer(alice)
    before = snapshot(customer)
    url = f"/customers/customers/{customer.pk}/release/"
    assert web("alice").get(url).status_code == 200
    response = web("alice").post(url, {"reason": ""})
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    assert_unchanged(customer, before)
    response = web("alice").post(url, {"reason": "客户不再需要"})
    assert response.status_code == 302
    customer = reload(customer)
    assert customer.in_pool and customer.owner is None
    assert OwnerHistory.objects.filter(customer=customer, action="release", reason="客户不再需要").exists()


def test_claim_on_the_web(alice, bob, web):
    customer = pooled(alice)
    response = web("bob").post(f"/customers/customers/{customer.pk}/claim/")
    assert response.status_code == 302 and response.url == customer.get_absolute_url()
    assert reload(customer).owner == bob
    # A second claim (someone else, a moment later) does not take it over.
    response = web("charlie").post(f"/customers/customers/{customer.pk}/claim/")
    assert response.status_code == 404
    assert reload(customer).owner == bob


def test_claim_beyond_the_cap_on_the_web(alice, bob, web, param):
    speak(bob, "en")
    param("customer_cap_account_manager", 1)
    make_customer(bob)
    customer = pooled(alice)
    before = snapshot(customer)
    response = web("bob").post(f"/customers/customers/{customer.pk}/claim/", follow=True)
    assert "the most your role allows" in response.content.decode()
    assert_unchanged(customer, before)


def test_manager_assigns_from_the_pool_on_the_web(alice, bob, manager, web):
    customer = pooled(alice)
    text = web("manager").get("/customers/pool/").content.decode()
    assert f'<option value="{bob.pk}">{bob}</option>' in text
    assert 'name="owner"' not in web("bob").get("/customers/pool/").content.decode()
    response = web("manager").post(f"/customers/customers/{customer.pk}/assign/", {"owner": bob.pk})
    assert response.status_code == 302
    assert reload(customer).owner == bob
    assert notifications(bob).filter(target_id=str(customer.pk)).exists()


# --- batch -------------------------------------------------------------------------------------
def test_bulk_transfer_on_the_web(alice, bob, charlie, manager, admin_user, executive, web):
    a, b = make_customer(alice), make_customer(bob)
    outside = make_customer(admin_user, owner=executive)  # not in the manager's department tree
    before = snapshot(outside)
    url = "/customers/customers/bulk/transfer/"
    client = web("manager")
    response = client.post(url, {"pk": [a.pk, b.pk, outside.pk]})
    assert response.status_code == 200 and len(response.context["objects"]) == 2
    response = client.post(
        url, {"pk": [a.pk, b.pk, outside.pk], "_apply": "1", "owner": charlie.pk, "reason": "调岗交接"}
    )
    assert response.status_code == 302
    assert reload(a).owner == charlie and reload(b).owner == charlie
    assert_unchanged(outside, before)
    assert notifications(alice).exists() and notifications(bob).exists() and notifications(charlie).exists()
    assert audit("update", a, actor=manager).exists() and audit("update", b, actor=manager).exists()


def test_bulk_transfer_needs_a_reason(alice, charlie, web):
    a = make_customer(alice)
    before = snapshot(a)
    response = web("manager").post(
        "/customers/customers/bulk/transfer/", {"pk": [a.pk], "_apply": "1", "owner": charlie.pk, "reason": ""}
    )
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    assert_unchanged(a, before)


def test_bulk_tag_on_the_web(alice, web):
    vip = Tag.objects.create(name="VIP")
    a, b = make_customer(alice), make_customer(alice)
    response = web("alice").post(
        "/customers/customers/bulk/tag/", {"pk": [a.pk, b.pk], "_apply": "1", "tags": [vip.pk]}
    )
    assert response.status_code == 302
    assert list(reload(a).tags.all()) == [vip] and list(reload(b).tags.all()) == [vip]


def test_bulk_release_ignores_customers_outside_scope(alice, bob, web):
    mine, hers = make_customer(bob), make_customer(alice)
    before = snapshot(hers)
    response = web("bob").post(
        "/customers/customers/bulk/release/", {"pk": [mine.pk, hers.pk], "_apply": "1", "reason": "批量放入"}
    )
    assert response.status_code == 302
    assert reload(mine).in_pool
    assert_unchanged(hers, before)


def test_bulk_release_needs_a_reason(bob, web):
    mine = make_customer(bob)
    before = snapshot(mine)
    response = web("bob").post("/customers/customers/bulk/release/", {"pk": [mine.pk], "_apply": "1", "reason": ""})
    assert response.status_code == 400
    assert_unchanged(mine, before)


def test_bulk_edit_level(alice, web, dicts):
    a, b = make_customer(alice), make_customer(alice)
    vip = dicts["customer_level", "vip"]
    response = web("alice").post(
        "/customers/customers/bulk-edit/", {"pk": [a.pk, b.pk], "_apply": "1", "_set_level": "1", "level": vip.pk}
    )
    assert response.status_code == 302
    assert reload(a).level == vip and reload(b).level == vip


def test_unknown_bulk_action_is_refused(alice, web):
    a = make_customer(alice)
    assert web("manager").post("/customers/customers/bulk/delete-all/", {"pk": [a.pk]}).status_code == 403


# --- merge -------------------------------------------------------------------------------------
def test_merge_on_the_web(alice, manager, web):
    keep, other = make_customer(alice, name="龙虎科技"), make_customer(alice, name="龙虎软件")
    contact = make_contact(alice, other, name="李明")
    followup = make_followup(alice, other)
    url = f"/customers/customers/{keep.pk}/merge/"
    assert web("manager").get(url).status_code == 200
    response = web("manager").post(url, {"other": other.pk})
    assert response.status_code == 302
    assert reload(contact).customer_id == keep.pk and reload(followup).customer_id == keep.pk
    assert reload(other).deleted_at is not None
    assert audit("delete", other, actor=manager).exists()


# --- recycle bin -------------------------------------------------------------------------------
def test_delete_restore_and_purge(alice, admin_user, web):
    customer = make_customer(alice)
    contact = make_contact(alice, customer)
    followup = make_followup(alice, customer)
    client = web("alice")
    assert client.post(f"/customers/customers/{customer.pk}/delete/", {"_version": customer.version}).status_code == 302
    assert client.get(customer.get_absolute_url()).status_code == 404
    assert client.get(contact.get_absolute_url()).status_code == 404
    assert client.get(followup.get_absolute_url()).status_code == 404
    assert customer.name in client.get("/customers/customers/recycle-bin/").content.decode()
    # Purge is for administrators only.
    response = client.post(f"/customers/customers/{customer.pk}/purge/")
    assert response.status_code in (403, 404)
    assert Customer.all_objects.filter(pk=customer.pk).exists()
    assert client.post(f"/customers/customers/{customer.pk}/restore/").status_code == 302
    assert client.get(customer.get_absolute_url()).status_code == 200
    assert client.get(contact.get_absolute_url()).status_code == 200
    assert client.get(followup.get_absolute_url()).status_code == 200
    customer_service_delete(alice, customer)
    assert web("admin").post(f"/customers/customers/{customer.pk}/purge/").status_code == 302
    assert not Customer.all_objects.filter(pk=customer.pk).exists()
    assert not Contact.all_objects.filter(pk=contact.pk).exists()
    assert audit("purge", customer).exists()


def customer_service_delete(actor, customer):
    from customers.services import customer_service

    customer_service.delete(actor=actor, instance=reload(customer))


def test_other_users_cannot_restore_from_the_bin(alice, bob, web):
    customer = make_customer(alice)
    customer_service_delete(alice, customer)
    before = snapshot(reload(customer))
    assert customer.name not in web("bob").get("/customers/customers/recycle-bin/").content.decode()
    assert web("bob").post(f"/customers/customers/{customer.pk}/restore/").status_code == 404
    assert_unchanged(customer, before)


# --- data review -------------------------------------------------------------------------------
def test_review_on_the_web(alice, bob, charlie, manager, executive, web, param):
    param("data_review_enabled", 1)
    web("alice").post(ADD, {"name": "待审核客户"})
    customer = Customer.objects.get()
    assert customer.review_status == Customer.Review.PENDING
    url = customer.get_absolute_url()
    assert web("alice").get(url).status_code == 200
    for who in ("bob", "charlie", "exec"):
        assert web(who).get(url).status_code == 404, who
        assert customer.name not in web(who).get(LIST).content.decode(), who
    assert customer.name in web("manager").get(LIST, {"view": "pending"}).content.decode()
    review = f"/customers/customers/{customer.pk}/review/"
    assert web("alice").get(review).status_code == 403
    response = web("manager").post(review, {"decision": "return", "comment": ""})
    assert response.status_code == 400 and "comment" in response.context["form"].errors
    assert reload(customer).review_status == Customer.Review.PENDING
    response = web("manager").post(review, {"decision": "approve"})
    assert response.status_code == 302
    assert reload(customer).review_status == Customer.Review.APPROVED
    assert web("exec").get(url).status_code == 200
    assert web("bob").get(url).status_code == 404  # approved: visible by scope only


# --- list filters and saved views --------------------------------------------------------------
def test_list_filters(alice, bob, web, regions, dicts):
    vip, normal = dicts["customer_level", "vip"], dicts["customer_level", "normal"]
    tag = Tag.objects.create(name="展会")
    a = make_customer(alice, name="甲", level=vip, province=regions["bj"])
    b = make_customer(alice, name="乙", level=normal, province=regions["gd"])
    make_customer(alice, name="丙", level=vip, province=regions["gd"], tags=[tag])
    Customer.objects.filter(pk=a.pk).update(created_at=timezone.now() - timedelta(days=40))
    Customer.objects.filter(pk=b.pk).update(last_followup_at=timezone.now() - timedelta(days=2))
    client = web("manager")
    get = lambda **params: rows(client.get(LIST, params))  # noqa: E731
    assert get(level=vip.pk) == {"甲", "丙"}
    assert get(level=vip.pk, province=regions["gd"].pk) == {"丙"}
    assert get(province=regions["bj"].pk) == {"甲"}
    assert get(owner=alice.pk) == {"甲", "乙", "丙"} and get(owner=bob.pk) == set()
    assert get(tags=tag.pk) == {"丙"}
    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert get(created_after=since) == {"乙", "丙"}
    assert get(created_before=since) == {"甲"}
    assert get(no_followup_days=7) == {"甲", "丙"}
    assert get(followup_after=since) == {"乙"}
    assert get(level=vip.pk, q="丙") == {"丙"}
    response = client.get(LIST, {"level": "not-a-number"})
    assert response.status_code == 200


def test_saved_views(alice, bob, charlie, manager, web):
    now = timezone.now()
    mine = make_customer(manager, name="经理的")
    a = make_customer(alice, name="爱丽的")
    b = make_customer(bob, name="伯文的")
    c = make_customer(charlie, name="查理的")
    old = make_customer(alice, name="老客户")
    Customer.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(days=70),
        updated_at=now - timedelta(days=40),
        last_followup_at=now - timedelta(days=31),
    )
    make_followup(alice, a)
    client = web("manager")
    view = lambda key: rows(client.get(LIST, {"view": key}))  # noqa: E731
    assert view("mine") == {mine.name}
    assert rows(web("alice").get(LIST, {"view": "my_department"})) == {a.name, old.name}
    assert view("my_department") == {mine.name}
    assert view("today") == {mine.name, a.name, b.name, c.name}
    assert view("week") >= {mine.name, a.name}
    assert view("month") >= {mine.name, a.name} and old.name not in view("month")
    assert view("recent") == {mine.name, a.name, b.name, c.name}
    assert view("stale") == {mine.name, b.name, c.name, old.name}


def test_user_defined_saved_view(alice, web):
    client = web("alice")
    response = client.post("/customers/customers/saved-views/", {"name": "重要客户", "query": "level=1"})
    assert response.status_code == 302
    assert "重要客户" in client.get(LIST).content.decode()


# --- 360° page, overview, care -----------------------------------------------------------------
def test_customer_360_page(alice, bob, web):
    customer = make_customer(alice, name="北京龙虎科技有限公司")
    make_contact(alice, customer, name="王华", mobile="13812345678")
    make_followup(alice, customer, summary="上门拜访介绍方案")
    customer_release(actor=alice, customer=reload(customer), reason="暂不跟进")
    from customers.services import customer_claim

    customer_claim(actor=alice, customer=reload(customer))
    response = web("alice").get(customer.get_absolute_url())
    assert response.status_code == 200
    text = response.content.decode()
    for tab in ("contacts", "followups", "history", "attachments"):
        assert f'id="tab-{tab}"' in text, tab
    assert customer.code in text and "王华" in text and "上门拜访介绍方案" in text and "暂不跟进" in text
    assert response.context["timeline"]  # the audit trail of the record
    keys = [t["key"] for t in response.context["tabs"]]
    assert keys == ["contacts", "followups", "history", "attachments"]
    assert 'id="owner-name"' in text


def test_customer_timeline_includes_contacts_and_followups(alice):
    from customers.selectors import customer_timeline

    customer = make_customer(alice)
    contact = make_contact(alice, customer, name="王华")
    followup = make_followup(alice, customer, summary="电话沟通")
    other = make_customer(alice)
    make_followup(alice, other, summary="别人的跟进")
    entries = customer_timeline(customer)
    targets = {(e.content_type.model, e.object_id) for e in entries}
    assert targets == {("customer", str(customer.pk)), ("contact", str(contact.pk)), ("followup", str(followup.pk))}
    assert entries == sorted(entries, key=lambda e: (e.created_at, e.pk), reverse=True)


def test_overview_page_json_and_excel(alice, web, dicts):
    make_customer(alice, level=dicts["customer_level", "vip"])
    make_customer(alice, level=dicts["customer_level", "vip"])
    make_customer(alice)
    client = web("alice")
    assert client.get("/customers/overview/").status_code == 200
    data = client.get("/customers/overview/level.json").json()
    assert {"name": "重要客户", "value": 2} in data["series"][0]["data"]
    monthly = client.get("/customers/overview/monthly.json").json()
    assert sum(monthly["series"][0]["data"]) == 3
    response = client.get("/customers/overview/owner.json", {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert sheet[1] == ["李爱丽", 3]
    assert client.get("/customers/overview/nonsense.json").status_code == 403


def test_overview_counts_only_visible_customers(alice, bob, web):
    make_customer(alice)
    make_customer(bob)
    data = web("alice").get("/customers/overview/owner.json").json()
    assert sum(data["series"][0]["data"]) == 1


def _in_days(days):
    day = timezone.localdate() + timedelta(days=days)
    if (day.month, day.day) == (2, 29):
        day += timedelta(days=1)
    return day.replace(year=1985)


@pytest.mark.parametrize(
    "today, birthday, days, expected",
    [
        ("2026-12-28", "1980-01-02", 7, "2027-01-02"),  # across the new year
        ("2027-02-25", "1984-02-29", 7, "2027-03-01"),  # 29 February in a year without it
        ("2028-02-25", "1984-02-29", 7, "2028-02-29"),
        ("2026-05-01", "1980-05-09", 7, None),
        ("2026-05-01", "1980-05-01", 0, "2026-05-01"),
    ],
)
def test_upcoming_care_window(alice, today, birthday, days, expected):
    from datetime import date

    from customers.selectors import upcoming_care

    customer = make_customer(alice)
    make_contact(alice, customer, name="王华", birthday=date.fromisoformat(birthday))
    items = upcoming_care(alice, today=date.fromisoformat(today), days=days)
    assert [i["date"].isoformat() for i in items] == ([expected] if expected else [])


def test_care_page_lists_birthdays_within_seven_days(alice, bob, web):
    customer = make_customer(alice)
    make_contact(alice, customer, name="王华", birthday=_in_days(3))
    make_contact(alice, customer, name="李明", birthday=_in_days(20))
    other = make_customer(bob)
    make_contact(bob, other, name="赵强", birthday=_in_days(2))
    text = web("alice").get("/customers/care/").content.decode()
    assert "王华" in text and "李明" not in text and "赵强" not in text
    assert "李明" in web("alice").get("/customers/care/", {"days": 30}).content.decode()


# --- export ------------------------------------------------------------------------------------
def test_export_filtered_list_csv_and_xlsx(alice, web, dicts):
    vip = dicts["customer_level", "vip"]
    make_customer(alice, name='=HYPERLINK("http://evil")', level=vip)
    make_customer(alice, name="普通客户")
    make_customer(alice, name="@SUM(A1)", level=vip, remark="x")
    client = web("alice")
    response = client.get("/customers/customers/export/", {"format": "csv", "level": vip.pk})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    names = {r[1] for r in table[1:]}
    assert names == {'\'=HYPERLINK("http://evil")', "'@SUM(A1)"}
    response = client.get("/customers/customers/export/", {"format": "xlsx", "level": vip.pk})
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert {r[1] for r in sheet[1:]} == {'\'=HYPERLINK("http://evil")', "'@SUM(A1)"}
    entries = audit("export")
    assert entries.count() == 2
    assert all(e.actor == alice and f"level={vip.pk}" in e.message for e in entries)


def test_export_respects_scope(alice, bob, web):
    make_customer(alice, name="爱丽的客户")
    make_customer(bob, name="伯文的客户")
    body = b"".join(web("alice").get("/customers/customers/export/", {"format": "csv"}).streaming_content).decode(
        "utf-8-sig"
    )
    assert "爱丽的客户" in body and "伯文的客户" not in body


# --- import ------------------------------------------------------------------------------------
def _template_header(client):
    from python_calamine import CalamineWorkbook

    response = client.get("/customers/customers/import/template/")
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert len(book.sheet_names) >= 2  # data + instructions
    return [str(h) for h in book.get_sheet_by_index(0).to_python()[0]]


def _xlsx(header, data_rows):
    return xlsx_bytes(header, data_rows)


def _upload(client, content, name="customers.xlsx", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(name, content), "duplicate_strategy": "skip", "target": "me", **extra}
    return client.post("/customers/customers/import/", data)


def test_import_template_with_good_and_bad_rows(alice, web, django_capture_on_commit_callbacks):
    from core.models import ImportJob

    speak(alice, "en")
    client = web("alice")
    header = _template_header(client)
    col = {h.rstrip(" *").lower(): i for i, h in enumerate(header)}

    def row(name, mobile=""):
        values = [""] * len(header)
        values[col["customer name"]] = name
        values[col["mobile"]] = mobile
        return values

    content = _xlsx(
        header,
        [
            row("导入客户一", "13812345671"),
            row("导入客户二", "13812345672"),
            row("导入客户三"),
            row("导入客户四", "12345"),
            row("导入客户一（有限公司）"),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, content)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "checked" and job.valid_rows == 3
    bad = {e["row"]: e for e in job.errors}
    assert set(bad) == {5, 6}
    assert bad[5]["column"].lower() == "mobile"
    assert "row 2" in bad[6]["message"]
    page = client.get(response.url).content.decode()
    assert 'id="import-errors"' in page
    assert not Customer.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url)
    job.refresh_from_db()
    assert job.status == "done" and job.created_rows == 3
    assert set(Customer.objects.values_list("name", flat=True)) == {"导入客户一", "导入客户二", "导入客户三"}
    assert set(Customer.objects.values_list("owner", flat=True)) == {alice.pk}
    assert audit("import").exists()
    from customers.search import search_customers

    assert search_customers(Customer.objects.all(), "导入客户二").count() == 1


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("renamed.xlsx", "名称,手机\n甲,13812345678\n".encode(), "not an Excel workbook"),
        ("empty.xlsx", b"", "empty"),
    ],
)
def test_import_bad_files_are_refused(alice, web, name, content, message):
    from core.models import ImportJob

    speak(alice, "en")
    response = _upload(web("alice"), content, name=name)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()


def test_import_unknown_column_is_refused(alice, web):
    from core.models import ImportJob

    speak(alice, "en")
    response = _upload(web("alice"), _xlsx(["customer name", "favourite colour"], [["甲公司", "red"]]))
    assert response.status_code == 400
    assert "favourite colour" in " ".join(response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()


def test_import_needs_permission(web):
    assert web("exec").get("/customers/customers/import/").status_code == 403
    assert web("agent").get("/customers/customers/import/").status_code == 403


# --- query counts ------------------------------------------------------------------------------
def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _populate(alice, n, dicts, regions):
    tag = Tag.objects.get_or_create(name="VIP")[0]
    vip = dicts["customer_level", "vip"]
    start = Customer.objects.count()
    for i in range(start, start + n):
        c = make_customer(alice, name=f"客户{i:03d}", level=vip, province=regions["bj"], tags=[tag])
        make_contact(alice, c, name=f"联系人{i}")


@pytest.mark.parametrize(
    "url",
    [
        "/customers/customers/",
        "/api/v1/customers/",
        "/customers/contacts/",
        "/api/v1/contacts/",
        "/customers/followups/",
        "/api/v1/followups/",
        "/customers/customers/?view=stale&q=客户",
        "/customers/care/?days=92",
    ],
)
def test_list_queries_do_not_grow_with_rows(alice, web, api, dicts, regions, url):
    client = web("alice") if url.startswith("/customers/") else api("alice")
    _populate(alice, 5, dicts, regions)
    client.get(url)  # warm caches (content types, parameters)
    few = _count(client, url)
    _populate(alice, 35, dicts, regions)
    assert Customer.objects.count() == 40
    many = _count(client, url)
    assert few == many, (few, many)


@pytest.mark.parametrize("url", ["/customers/pool/", "/api/v1/customers/pool/"])
def test_pool_queries_do_not_grow_with_rows(alice, manager, web, api, dicts, regions, url):
    client = web("manager") if url.startswith("/customers/") else api("manager")

    def add(n):
        _populate(alice, n, dicts, regions)
        for c in Customer.objects.filter(in_pool=False):
            customer_release(actor=alice, customer=c, reason="x")

    add(5)
    client.get(url)
    few = _count(client, url)
    add(35)
    assert Customer.objects.filter(in_pool=True).count() == 40
    assert few == _count(client, url)
