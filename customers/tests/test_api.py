"""Customers API: CRUD, workflow actions, duplicates, pool, contacts, follow-ups, tags."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.testing.helpers import assert_unchanged, snapshot
from customers.models import Contact, Customer, FollowUp, OwnerHistory, Tag
from customers.services import customer_release

from .factories import audit, make_contact, make_customer, make_followup, reload, xlsx_bytes

pytestmark = pytest.mark.django_db

API = "/api/v1/customers/"


def notifications(user):
    from workspace.models import Notification

    return Notification.objects.filter(recipient=user)


def pooled(owner, **data):
    customer = make_customer(owner, **data)
    return customer_release(actor=owner, customer=customer, reason="放入公海")


# --- CRUD --------------------------------------------------------------------------------------
def test_create_read_update_delete(alice, api, dicts, regions):
    client = api("alice")
    vip = dicts["customer_level", "vip"]
    response = client.post(
        API,
        {
            "name": "北京龙虎科技有限公司",
            "level": vip.pk,
            "province": regions["bj"].pk,
            "city": regions["bjc"].pk,
            "mobile": "13812345678",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["code"].startswith("KH") and data["owner"] == alice.pk and data["version"] == 1
    assert "confirm_duplicate" not in data
    pk = data["id"]
    assert client.get(f"{API}{pk}/").json()["name"] == "北京龙虎科技有限公司"
    response = client.patch(f"{API}{pk}/", {"short_name": "龙虎", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["short_name"] == "龙虎"
    assert audit("update", Customer.objects.get(pk=pk), source="api").exists()
    # A stale version is a conflict and changes nothing.
    before = snapshot(Customer.objects.get(pk=pk))
    response = client.patch(f"{API}{pk}/", {"short_name": "旧", "version": 1}, format="json")
    assert response.status_code == 409 and "version" in response.json()["errors"]
    assert_unchanged(Customer.objects.get(pk=pk), before)
    assert client.delete(f"{API}{pk}/").status_code == 204
    assert Customer.all_objects.get(pk=pk).deleted_at is not None
    assert client.get(f"{API}{pk}/").status_code == 404


def test_read_only_fields_cannot_be_set(alice, bob, api):
    response = api("alice").post(
        API,
        {"name": "甲公司", "owner": bob.pk, "in_pool": True, "code": "X1", "review_status": "pending"},
        format="json",
    )
    assert response.status_code == 201
    customer = Customer.objects.get()
    assert customer.owner == alice and not customer.in_pool and customer.code != "X1"
    assert customer.review_status == "approved"
    api("alice").patch(f"{API}{customer.pk}/", {"owner": bob.pk}, format="json")
    assert reload(customer).owner == alice


def test_list_filters_and_ordering(alice, api, dicts):
    vip = dicts["customer_level", "vip"]
    make_customer(alice, name="甲", level=vip)
    make_customer(alice, name="乙")
    data = api("alice").get(API, {"level": vip.pk}).json()
    assert [r["name"] for r in data["results"]] == ["甲"]
    data = api("alice").get(API, {"ordering": "name"}).json()
    assert [r["name"] for r in data["results"]] == sorted(["甲", "乙"])
    assert api("alice").get(API, {"level": "x"}).status_code == 400


# --- duplicates --------------------------------------------------------------------------------
def test_duplicate_create_is_a_400_on_name(alice, bob, manager, api):
    make_customer(alice, name="北京龙虎科技有限公司")
    response = api("bob").post(API, {"name": "北京龙虎科技有限责任公司"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"] and response.json()["errors"]["name"]
    response = api("bob").post(API, {"name": "北京龙虎科技", "confirm_duplicate": True}, format="json")
    assert response.status_code == 400
    assert Customer.objects.count() == 1
    response = api("manager").post(API, {"name": "北京龙虎科技", "confirm_duplicate": True}, format="json")
    assert response.status_code == 201
    assert Customer.objects.count() == 2


def test_duplicates_endpoint(alice, api):
    customer = make_customer(alice, name="北京龙虎科技有限公司", email="info@longhu.cn")
    data = api("alice").get(f"{API}duplicates/", {"name": "北京龙虎科技（有限公司）"}).json()
    assert data["visible"] == [{"id": customer.pk, "code": customer.code, "name": customer.name}]
    assert data["hidden"] == []
    data = api("bob").get(f"{API}duplicates/", {"email": "INFO@longhu.cn"}).json()
    assert data["visible"] == []
    assert data["hidden"] == [
        {"owner": "李爱丽", "department": "华东销售部", "in_pool": False, "summary": "李爱丽（华东销售部）负责的客户"}
    ]
    assert api("bob").get(f"{API}duplicates/").json() == {"visible": [], "hidden": []}


# --- pool actions ------------------------------------------------------------------------------
def test_pool_list_is_masked(alice, api):
    pooled(alice, name="公海客户", phone="010-12345678", email="info@longhu.cn")
    make_customer(alice, name="不在公海")
    data = api("bob").get(f"{API}pool/").json()
    assert [r["name"] for r in data["results"]] == ["公海客户"]
    row = data["results"][0]
    assert row["phone"] == "010****5678" and row["email"] == "i***@longhu.cn"


def test_release_and_claim(alice, bob, api):
    customer = make_customer(alice)
    before = snapshot(customer)
    response = api("alice").post(f"{API}{customer.pk}/release/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    assert_unchanged(customer, before)
    response = api("alice").post(f"{API}{customer.pk}/release/", {"reason": "不再跟进"}, format="json")
    assert response.status_code == 200 and response.json()["in_pool"] is True
    response = api("bob").post(f"{API}{customer.pk}/claim/")
    assert response.status_code == 200 and response.json()["owner"] == bob.pk
    assert reload(customer).owner == bob
    # Already claimed: gone from the pool for everyone else.
    assert api("charlie").post(f"{API}{customer.pk}/claim/").status_code == 404
    assert reload(customer).owner == bob


def test_claim_beyond_cap_and_quota(alice, bob, api, param):
    param("customer_cap_account_manager", 1)
    make_customer(bob)
    customer = pooled(alice)
    before = snapshot(customer)
    response = api("bob").post(f"{API}{customer.pk}/claim/")
    assert response.status_code == 400 and response.json()["errors"]["non_field_errors"]
    assert_unchanged(customer, before)
    param("customer_cap_account_manager", 100)
    param("pool_claim_daily_quota", 1)
    other = pooled(alice)
    assert api("bob").post(f"{API}{customer.pk}/claim/").status_code == 200
    before = snapshot(other)
    response = api("bob").post(f"{API}{other.pk}/claim/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "quota" in response.json()["errors"]["non_field_errors"][0]
    assert_unchanged(other, before)


def test_assign(alice, bob, manager, api):
    customer = pooled(alice)
    response = api("manager").post(f"{API}{customer.pk}/assign/", {"owner": bob.pk}, format="json")
    assert response.status_code == 200
    assert reload(customer).owner == bob
    assert notifications(bob).filter(target_id=str(customer.pk)).exists()
    assert api("manager").post(f"{API}{customer.pk}/assign/", {"owner": 999999}, format="json").status_code == 404


def test_transfer(alice, bob, charlie, manager, admin_user, executive, api):
    a, b = make_customer(alice), make_customer(bob)
    response = api("manager").post(
        f"{API}transfer/", {"customers": [a.pk, b.pk], "owner": charlie.pk, "reason": "调岗"}, format="json"
    )
    assert response.status_code == 200 and response.json() == {"transferred": 2}
    assert reload(a).owner == charlie and reload(b).owner == charlie
    assert notifications(alice).exists() and notifications(bob).exists() and notifications(charlie).exists()
    assert OwnerHistory.objects.filter(customer=a, action="transfer").exists()
    assert audit("update", a, actor=manager, source="api").exists()
    # One id outside the caller's scope: 404 and nothing changes.
    outside = make_customer(admin_user, owner=executive)
    c = make_customer(alice)
    before_c, before_outside = snapshot(c), snapshot(outside)
    response = api("manager").post(
        f"{API}transfer/", {"customers": [c.pk, outside.pk], "owner": bob.pk, "reason": "x"}, format="json"
    )
    assert response.status_code == 404
    assert_unchanged(c, before_c)
    assert_unchanged(outside, before_outside)
    response = api("manager").post(
        f"{API}transfer/", {"customers": [c.pk], "owner": bob.pk, "reason": ""}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()["errors"]


def test_tag(alice, bob, api):
    vip = Tag.objects.create(name="VIP")
    a = make_customer(alice)
    response = api("alice").post(f"{API}tag/", {"customers": [a.pk], "tags": [vip.pk]}, format="json")
    assert response.status_code == 200
    assert list(reload(a).tags.all()) == [vip]
    response = api("alice").post(f"{API}tag/", {"customers": [a.pk], "tags": [vip.pk], "remove": True}, format="json")
    assert list(reload(a).tags.all()) == []
    hers = make_customer(bob)
    before = snapshot(hers)
    assert api("alice").post(f"{API}tag/", {"customers": [hers.pk], "tags": [vip.pk]}, format="json").status_code == 404
    assert_unchanged(hers, before) and not reload(hers).tags.exists()


def test_merge(alice, manager, api):
    keep, other = make_customer(alice, name="甲"), make_customer(alice, name="乙")
    contact = make_contact(alice, other)
    followup = make_followup(alice, other)
    response = api("manager").post(f"{API}{keep.pk}/merge/", {"other": other.pk}, format="json")
    assert response.status_code == 200
    assert reload(contact).customer_id == keep.pk and reload(followup).customer_id == keep.pk
    assert reload(other).deleted_at is not None
    assert api("manager").post(f"{API}{keep.pk}/merge/", {"other": keep.pk}, format="json").status_code == 400


def test_review(alice, manager, api, param):
    param("data_review_enabled", 1)
    response = api("alice").post(API, {"name": "待审核"}, format="json")
    assert response.json()["review_status"] == "pending"
    pk = response.json()["id"]
    assert api("bob").get(f"{API}{pk}/").status_code == 404
    response = api("manager").post(f"{API}{pk}/review/", {"approve": False, "comment": ""}, format="json")
    assert response.status_code == 400 and "comment" in response.json()["errors"]
    response = api("manager").post(f"{API}{pk}/review/", {"approve": True}, format="json")
    assert response.status_code == 200 and response.json()["review_status"] == "approved"


def test_owner_history(alice, bob, api):
    customer = pooled(alice)
    api("bob").post(f"{API}{customer.pk}/claim/")
    data = api("bob").get(f"{API}{customer.pk}/owner-history/").json()
    assert [h["action"] for h in data] == ["claim", "release", "create"]
    assert api("alice").get(f"{API}{customer.pk}/owner-history/").status_code == 404


# --- contacts, follow-ups, tags ----------------------------------------------------------------
def test_contacts_api(alice, api):
    customer = make_customer(alice)
    client = api("alice")
    first = client.post("/api/v1/contacts/", {"customer": customer.pk, "name": "王华"}, format="json")
    assert first.status_code == 201 and first.json()["is_primary"] is True
    second = client.post(
        "/api/v1/contacts/", {"customer": customer.pk, "name": "李明", "is_primary": True}, format="json"
    )
    assert second.status_code == 201
    assert not Contact.objects.get(pk=first.json()["id"]).is_primary
    response = client.post("/api/v1/contacts/", {"customer": customer.pk, "name": "x", "mobile": "123"}, format="json")
    assert response.status_code == 400 and "mobile" in response.json()["errors"]
    data = client.get("/api/v1/contacts/", {"customer": customer.pk}).json()
    assert {r["name"] for r in data["results"]} == {"王华", "李明"}


def test_contact_cannot_be_attached_to_a_customer_outside_scope(alice, bob, api):
    hers = make_customer(alice)
    response = api("bob").post("/api/v1/contacts/", {"customer": hers.pk, "name": "王华"}, format="json")
    assert response.status_code == 400 and "customer" in response.json()["errors"]
    assert not Contact.objects.exists()


def test_followups_api_makes_a_todo(alice, api):
    from workspace.models import Todo

    customer = make_customer(alice)
    now = timezone.now()
    response = api("alice").post(
        "/api/v1/followups/",
        {
            "customer": customer.pk,
            "summary": "电话沟通",
            "happened_at": now.isoformat(),
            "next_followup_at": (now + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert FollowUp.objects.get().created_by == alice
    assert Todo.objects.filter(owner=alice, target_id=str(customer.pk)).exists()
    assert reload(customer).last_followup_at is not None
    response = api("alice").post(
        "/api/v1/followups/",
        {
            "customer": customer.pk,
            "summary": "x",
            "happened_at": now.isoformat(),
            "next_followup_at": (now - timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400 and "next_followup_at" in response.json()["errors"]
    other = make_customer(alice)
    contact = make_contact(alice, other)
    response = api("alice").post(
        "/api/v1/followups/",
        {"customer": customer.pk, "contact": contact.pk, "summary": "x", "happened_at": now.isoformat()},
        format="json",
    )
    assert response.status_code == 400 and "contact" in response.json()["errors"]
    assert FollowUp.objects.count() == 1
    followup = FollowUp.objects.get()
    before = snapshot(followup)
    response = api("alice").patch(
        f"/api/v1/followups/{followup.pk}/",
        {"next_followup_at": (followup.happened_at - timedelta(hours=1)).isoformat(), "version": followup.version},
        format="json",
    )
    assert response.status_code == 400 and "next_followup_at" in response.json()["errors"]
    assert_unchanged(followup, before)


def test_tags_api(alice, manager, api):
    assert api("manager").post("/api/v1/tags/", {"name": "VIP", "color": "red"}, format="json").status_code == 201
    assert api("alice").post("/api/v1/tags/", {"name": "x"}, format="json").status_code == 403
    assert [t["name"] for t in api("alice").get("/api/v1/tags/").json()["results"]] == ["VIP"]


# --- export and import ---------------------------------------------------------------------------
def test_export_filtered_and_audited(alice, bob, api, dicts):
    import csv
    import io

    vip = dicts["customer_level", "vip"]
    make_customer(alice, name="=1+2", level=vip)
    make_customer(alice, name="普通客户")
    make_customer(bob, name="伯文的重要客户", level=vip)
    response = api("alice").get(f"{API}export/", {"file_format": "csv", "level": vip.pk})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["'=1+2"]
    entry = audit("export").get()
    assert entry.actor == alice and entry.source == "api" and f"level={vip.pk}" in entry.message
    response = api("exec").get(f"{API}export/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert api("agent").get(f"{API}export/").status_code == 403


def test_import_upload_report_and_confirm(alice, api, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api("alice")
    content = xlsx_bytes(
        ["客户名称", "手机"],
        [["导入甲", "13812345671"], ["导入乙", ""], ["导入丙", ""], ["导入丁", "12345"], ["导入甲", ""]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{API}import/", {"file": SimpleUploadedFile("c.xlsx", content), "duplicate_strategy": "skip"}
        )
    assert response.status_code == 202, response.json()
    job = response.json()["id"]
    report = client.get(f"{API}import/{job}/").json()
    assert report["status"] == "checked" and report["valid_rows"] == 3
    assert sorted(e["row"] for e in report["errors"]) == [5, 6]
    assert not Customer.objects.exists()
    assert api("bob").get(f"{API}import/{job}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{API}import/{job}/confirm/").status_code == 202
    assert client.get(f"{API}import/{job}/").json()["created_rows"] == 3
    assert set(Customer.objects.values_list("name", flat=True)) == {"导入甲", "导入乙", "导入丙"}
    assert client.post(f"{API}import/{job}/confirm/").status_code == 400  # only once


@pytest.mark.parametrize(
    "name, content", [("renamed.xlsx", "客户名称\n甲\n".encode()), ("empty.csv", b""), ("x.txt", b"abc")]
)
def test_import_bad_files(alice, api, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import ImportJob

    response = api("alice").post(f"{API}import/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400 and response.json()["errors"]["file"]
    response = api("alice").post(
        f"{API}import/", {"file": SimpleUploadedFile("c.xlsx", xlsx_bytes(["客户名称", "favourite"], [["甲", "x"]]))}
    )
    assert response.status_code == 400 and "favourite" in response.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()


def test_import_needs_permission(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import ImportJob

    for who in ("exec", "agent"):
        content = xlsx_bytes(["客户名称"], [["甲"]])
        response = api(who).post(f"{API}import/", {"file": SimpleUploadedFile("c.xlsx", content)})
        assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_schema_lists_the_customer_actions(admin_user, api):
    response = api("admin").get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/customers/{id}/claim/",
        "/api/v1/customers/transfer/",
        "/api/v1/customers/pool/",
        "/api/v1/customers/export/",
        "/api/v1/customers/import/",
        "/api/v1/customers/import/{job}/confirm/",
    ):
        assert path in text
