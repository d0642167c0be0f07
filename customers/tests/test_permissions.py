"""Customers endpoints by persona that the generic persona suite (core/tests/test_persona_suite.py)
does not walk: workflow pages (pool, claim, assign, release, merge, review), bulk actions, recycle
bin, list/search/export contents, creates under a customer outside the scope (web), read actions.
A forbidden request changes nothing."""

from types import SimpleNamespace

import pytest

from core.testing.helpers import assert_unchanged, snapshot
from customers.models import Contact, Customer, FollowUp, Tag
from customers.services import customer_release, customer_service

from .factories import make_contact, make_customer, make_followup, reload

pytestmark = pytest.mark.django_db

PERSONAS = ("alice", "bob", "charlie", "manager", "exec", "agent", "admin")
DENIED = (403, 404)


@pytest.fixture
def world(alice, bob, admin_user, executive):
    customer = make_customer(alice, name="爱丽的客户", mobile="13812345678")
    contact = make_contact(alice, customer, name="王华")
    followup = make_followup(alice, customer, summary="爱丽的跟进记录")
    pool = customer_release(actor=bob, customer=make_customer(bob, name="公海里的客户"), reason="放入公海")
    bobs = make_customer(bob, name="伯文的客户")
    outside = make_customer(admin_user, name="高管名下客户", owner=executive)  # outside the Sales tree
    return SimpleNamespace(customer=customer, contact=contact, followup=followup, pool=pool, bobs=bobs, outside=outside)


def codes(client_for, method, url, data=None, personas=PERSONAS, **kw):
    result = {}
    for who in personas:
        response = getattr(client_for(who), method)(url, data or {}, **kw)
        result[who] = response.status_code
    return result


# --- web: reading ------------------------------------------------------------------------------
VIEWERS = {"alice": 200, "bob": 404, "charlie": 404, "manager": 200, "exec": 200, "agent": 404, "admin": 200}


def test_web_workflow_pages_by_persona(world, web):
    pk = world.customer.pk
    assert codes(web, "get", f"/customers/customers/{pk}/release/") == {
        "alice": 200, "bob": 404, "charlie": 404, "manager": 200, "exec": 404, "agent": 404, "admin": 200,
    }  # fmt: skip
    only_managers = {"alice": 403, "bob": 403, "charlie": 403, "manager": 200, "exec": 403, "agent": 403, "admin": 200}
    assert codes(web, "get", f"/customers/customers/{pk}/merge/") == only_managers
    assert codes(web, "get", f"/customers/customers/{pk}/review/") == only_managers
    claimers = {"alice": 200, "bob": 200, "charlie": 200, "manager": 200, "exec": 403, "agent": 403, "admin": 200}
    assert codes(web, "get", "/customers/pool/") == claimers
    assert codes(web, "get", "/customers/customers/import/") == claimers
    assert codes(web, "get", "/customers/customers/recycle-bin/") == claimers
    everyone = dict.fromkeys(PERSONAS, 200)
    for url in ("/customers/customers/", "/customers/care/", "/customers/overview/", "/customers/duplicate-check/"):
        assert codes(web, "get", url) == everyone, url
    exporters = dict(everyone, agent=403)
    assert codes(web, "get", "/customers/customers/export/", {"format": "csv"}) == exporters


@pytest.mark.parametrize(
    "url, name",
    [
        ("/customers/customers/", "爱丽的客户"),
        ("/customers/contacts/", "王华"),
        ("/customers/followups/", "爱丽的跟进记录"),
        ("/core/search/?q=爱丽", "爱丽的客户"),
        ("/customers/customers/export/?format=csv", "爱丽的客户"),
    ],
)
def test_lists_search_and_export_show_only_records_in_scope(world, web, url, name):
    def body(who):
        response = web(who).get(url)
        if response.status_code != 200:
            return ""
        if response.streaming:
            return b"".join(response.streaming_content).decode("utf-8-sig")
        return response.content.decode()

    shown = {who for who in PERSONAS if name in body(who)}
    assert shown == {"alice", "manager", "exec", "admin"}


def test_pool_and_care_lists_are_scoped(world, web, alice):
    from datetime import timedelta

    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=2)
    if (day.month, day.day) == (2, 29):
        day += timedelta(days=1)
    Contact.objects.filter(pk=world.contact.pk).update(birthday=day.replace(year=1980))
    assert "王华" in web("alice").get("/customers/care/").content.decode()
    for who in ("bob", "charlie", "agent"):
        assert "王华" not in web(who).get("/customers/care/").content.decode(), who


# --- web: writing ------------------------------------------------------------------------------
def forbidden_posts(web, url, data, expected, objs):
    """POST as each persona of `expected` ({persona: status}) and check nothing in `objs` changed."""
    before = [snapshot(reload(o)) for o in objs]
    got = {who: web(who).post(url, data).status_code for who in expected}
    assert got == expected
    for obj, snap in zip(objs, before, strict=True):
        assert_unchanged(obj, snap)


def test_web_bulk_delete_outside_scope(world, web):
    c = world.customer
    bulk = {"pk": [c.pk], "_confirm": "1"}
    forbidden_posts(web, "/customers/customers/bulk-delete/", bulk, {"bob": 302, "charlie": 302, "exec": 403}, [c])


def test_web_bulk_edit_outside_scope(world, web, dicts):
    c = world.customer
    data = {"pk": [c.pk], "_apply": "1", "_set_level": "1", "level": dicts["customer_level", "vip"].pk}
    forbidden_posts(web, "/customers/customers/bulk-edit/", data, {"bob": 302, "charlie": 302, "exec": 403}, [c])


def test_web_contact_and_followup_for_a_customer_outside_scope(world, web):
    c = world.customer
    for who in ("bob", "charlie"):
        response = web(who).post("/customers/contacts/add/", {"customer": c.pk, "name": "偷加的"})
        assert "customer" in response.context["form"].errors
        response = web(who).post(
            "/customers/followups/add/", {"customer": c.pk, "summary": "偷加的", "happened_at": "2026-01-05T10:00"}
        )
        assert "customer" in response.context["form"].errors
    assert web("exec").post("/customers/contacts/add/", {"customer": c.pk, "name": "x"}).status_code == 403
    assert not Contact.objects.filter(name="偷加的").exists()
    assert not FollowUp.objects.filter(summary="偷加的").exists()


def test_web_pool_actions_by_persona(world, web, bob, charlie):
    c, p = world.customer, world.pool
    forbidden_posts(
        web,
        f"/customers/customers/{c.pk}/release/",
        {"reason": "偷偷放入"},
        {"bob": 404, "charlie": 404, "exec": 404, "agent": 404},
        [c],
    )
    forbidden_posts(web, f"/customers/customers/{p.pk}/claim/", {}, {"exec": 403, "agent": 403}, [p])
    forbidden_posts(web, f"/customers/customers/{c.pk}/claim/", {}, {"bob": 404, "manager": 404}, [c])
    forbidden_posts(
        web,
        f"/customers/customers/{p.pk}/assign/",
        {"owner": charlie.pk},
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [p],
    )
    assert web("manager").post(f"/customers/customers/{p.pk}/assign/", {"owner": charlie.pk}).status_code == 302
    assert reload(p).owner == charlie


def test_web_bulk_actions_by_persona(world, web, charlie):
    c, b = world.customer, world.bobs
    tag = Tag.objects.create(name="VIP")
    transfer = {"pk": [c.pk, b.pk], "_apply": "1", "owner": charlie.pk, "reason": "x"}
    forbidden_posts(
        web,
        "/customers/customers/bulk/transfer/",
        transfer,
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [c, b],
    )
    # bob may tag and release his own customers only; alice's id in the list is ignored.
    forbidden_posts(
        web,
        "/customers/customers/bulk/tag/",
        {"pk": [c.pk], "_apply": "1", "tags": [tag.pk]},
        {"bob": 400, "charlie": 400, "exec": 403, "agent": 403},
        [c],
    )
    assert not reload(c).tags.exists()
    forbidden_posts(
        web,
        "/customers/customers/bulk/release/",
        {"pk": [c.pk], "_apply": "1", "reason": "x"},
        {"bob": 400, "charlie": 400, "exec": 403, "agent": 403},
        [c],
    )
    response = web("bob").post("/customers/customers/bulk/release/", {"pk": [c.pk, b.pk], "_apply": "1", "reason": "x"})
    assert response.status_code == 302 and reload(b).in_pool and not reload(c).in_pool


def test_web_merge_by_persona(world, web):
    c, b, outside = world.customer, world.bobs, world.outside
    forbidden_posts(
        web,
        f"/customers/customers/{c.pk}/merge/",
        {"other": b.pk},
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [c, b],
    )
    # The manager cannot merge in a customer outside his scope.
    forbidden_posts(web, f"/customers/customers/{c.pk}/merge/", {"other": outside.pk}, {"manager": 400}, [c, outside])
    assert web("manager").post(f"/customers/customers/{c.pk}/merge/", {"other": b.pk}).status_code == 302
    assert reload(b).deleted_at is not None


def test_web_review_by_persona(world, web, alice, param):
    param("data_review_enabled", 1)
    pending = make_customer(alice, name="待审核客户")
    forbidden_posts(
        web,
        f"/customers/customers/{pending.pk}/review/",
        {"decision": "approve"},
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [pending],
    )
    assert web("manager").post(f"/customers/customers/{pending.pk}/review/", {"decision": "approve"}).status_code == 302


def test_web_recycle_bin_by_persona(world, web, alice, manager):
    c = world.customer
    customer_service.delete(actor=alice, instance=reload(c))
    forbidden_posts(
        web,
        f"/customers/customers/{c.pk}/restore/",
        {},
        {"bob": 404, "charlie": 404, "exec": 403, "agent": 403},
        [c],
    )
    forbidden_posts(
        web,
        f"/customers/customers/{c.pk}/purge/",
        {},
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [c],
    )
    assert Customer.all_objects.filter(pk=c.pk).exists()
    assert web("admin").post(f"/customers/customers/{c.pk}/purge/").status_code == 302
    assert not Customer.all_objects.filter(pk=c.pk).exists()


# --- API ---------------------------------------------------------------------------------------
API = "/api/v1/customers/"


@pytest.mark.parametrize("base, which", [("customers", "customer"), ("contacts", "contact"), ("followups", "followup")])
def test_api_list_by_persona(world, api, base, which):
    obj = getattr(world, which)
    seen = {who for who in PERSONAS if obj.pk in [r["id"] for r in api(who).get(f"/api/v1/{base}/").json()["results"]]}
    assert seen == {"alice", "manager", "exec", "admin"}


def api_forbidden(api, method, url, data, expected, objs):
    before = [snapshot(reload(o)) for o in objs]
    got = {who: getattr(api(who), method)(url, data, format="json").status_code for who in expected}
    assert got == expected
    for obj, snap in zip(objs, before, strict=True):
        assert_unchanged(obj, snap)


def test_api_pool_actions_by_persona(world, api, charlie):
    c, p = world.customer, world.pool
    api_forbidden(
        api,
        "post",
        f"{API}{c.pk}/release/",
        {"reason": "x"},
        {"bob": 404, "charlie": 404, "exec": 403, "agent": 403},
        [c],
    )
    api_forbidden(api, "post", f"{API}{p.pk}/claim/", None, {"exec": 403, "agent": 403}, [p])
    api_forbidden(api, "post", f"{API}{c.pk}/claim/", None, {"bob": 404, "manager": 404, "admin": 404}, [c])
    api_forbidden(
        api,
        "post",
        f"{API}{p.pk}/assign/",
        {"owner": charlie.pk},
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [p],
    )
    assert codes(api, "get", f"{API}pool/") == {
        "alice": 200, "bob": 200, "charlie": 200, "manager": 200, "exec": 403, "agent": 403, "admin": 200,
    }  # fmt: skip
    assert api("bob").post(f"{API}{p.pk}/claim/").status_code == 200


def test_api_batch_actions_by_persona(world, api, charlie):
    c, b = world.customer, world.bobs
    tag = Tag.objects.create(name="VIP")
    api_forbidden(
        api,
        "post",
        f"{API}transfer/",
        {"customers": [c.pk, b.pk], "owner": charlie.pk, "reason": "x"},
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [c, b],
    )
    api_forbidden(
        api,
        "post",
        f"{API}tag/",
        {"customers": [c.pk, b.pk], "tags": [tag.pk]},
        {"bob": 404, "charlie": 404, "exec": 403, "agent": 403},
        [c, b],
    )
    assert not reload(b).tags.exists()
    api_forbidden(
        api,
        "post",
        f"{API}{c.pk}/merge/",
        {"other": b.pk},
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [c, b],
    )
    api_forbidden(api, "post", f"{API}{c.pk}/merge/", {"other": world.outside.pk}, {"manager": 404}, [c, world.outside])
    api_forbidden(
        api,
        "post",
        f"{API}{c.pk}/review/",
        {"approve": True},
        {"alice": 403, "bob": 403, "charlie": 403, "exec": 403, "agent": 403},
        [c],
    )


def test_api_read_actions_by_persona(world, api):
    c = world.customer
    assert codes(api, "get", f"{API}{c.pk}/owner-history/") == VIEWERS
    everyone = dict.fromkeys(PERSONAS, 200)
    assert codes(api, "get", f"{API}duplicates/", {"name": "爱丽的客户"}) == everyone
    bob_sees = api("bob").get(f"{API}duplicates/", {"name": "爱丽的客户"}).json()
    assert bob_sees["visible"] == [] and bob_sees["hidden"][0]["owner"] == "李爱丽"
    assert "13812345678" not in str(bob_sees)


def test_api_requires_authentication(world, client):
    for url in (API, f"{API}{world.customer.pk}/", f"{API}pool/", "/api/v1/contacts/", "/api/v1/followups/"):
        assert client.get(url).status_code in (401, 403), url
    assert client.get("/customers/customers/").status_code == 302  # to the login page
