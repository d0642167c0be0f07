"""The public pool page: a compact table, and batch claim / assign of the checked rows."""

import re

import pytest

from core.testing.helpers import assert_unchanged, snapshot
from customers.models import OwnerHistory
from customers.services import customer_release

from .factories import audit, make_customer, reload

pytestmark = pytest.mark.django_db

POOL, BATCH = "/customers/pool/", "/customers/pool/batch/"


def speak(user, language):
    user.language = language
    user.save(update_fields=["language"])


def pooled(owner, **data):
    customer = make_customer(owner, **data)
    return customer_release(actor=owner, customer=customer, reason="放入公海")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pool_table_is_compact(alice, manager, web, regions, language):
    from basedata.models import Region

    speak(manager, language)
    guangxi = Region.objects.create(code="450000", name="广西壮族自治区", name_en="", level=1, parent=regions["cn"])
    customer = pooled(alice, name="南宁东方贸易有限公司", province=guangxi, phone="0771-1234567", email="a@b.cn")
    page = web("manager").get(POOL).content.decode()
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert head.count("<th") == 8  # checkbox, customer, level, industry, province, contact, since, actions
    # Short cells never wrap (广西壮族自治区 on one line), the code sits under the name.
    assert '<td class="text-nowrap">广西壮族自治区</td>' in page
    assert re.search(rf"南宁东方贸易有限公司<div[^>]*>{customer.code}</div>", page)
    assert "077****4567" in page and "a***@b.cn" in page and "放入公海" in page
    # One owner dropdown for the batch, with a readable placeholder, not one per row.
    assert page.count('name="owner"') == 1
    placeholder = "— choose —" if language == "en" else "— 请选择 —"
    bulk = re.search(r'<form[^>]*id="bulk-form".*?</form>', page, re.S).group(0)
    assert f'<option value="" selected>{placeholder}</option>' in bulk and "---------" not in bulk
    # The row checkboxes belong to a form that does something with them.
    assert re.search(r'<input type="checkbox" name="pk" value="\d+" form="bulk-form"', page)
    assert 'id="bulk-form"' in page and 'id="claim-selected"' in page and 'id="assign-selected"' in page
    assert f'action="{BATCH}"' in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pool_filter_selects_read_like_the_customer_list(alice, manager, web, dicts, regions, language):
    """No django-filter "---------": the empty option is the list's placeholder, in both languages."""
    speak(manager, language)
    pooled(alice, level=dicts["customer_level", "vip"], province=regions["bj"])
    page = web("manager").get(POOL).content.decode()
    placeholder = "— choose —" if language == "en" else "— 请选择 —"
    assert "---------" not in page
    bar = re.search(r'<form[^>]*class="[^"]*crm-filter-bar[^"]*".*?</form>', page, re.S).group(0)
    for name in ("level", "industry", "province", "source"):
        first = re.search(rf'<select name="{name}"[^>]*>\s*(<option[^>]*>[^<]*</option>)', bar)
        assert first, name
        assert first.group(1) == f'<option value="" selected>{placeholder}</option>', name
    # A chosen value is still selected, the placeholder then is not.
    page = web("manager").get(POOL, {"level": dicts["customer_level", "vip"].pk}).content.decode()
    level = re.search(r'<select name="level"[^>]*>.*?</select>', page, re.S).group(0)
    assert f'<option value="">{placeholder}</option>' in level
    assert f'<option value="{dicts["customer_level", "vip"].pk}" selected>' in level


def test_account_manager_sees_batch_claim_but_not_assign(alice, web):
    pooled(alice)
    page = web("bob").get(POOL).content.decode()
    assert 'id="claim-selected"' in page and 'id="assign-selected"' not in page and 'name="owner"' not in page


def test_batch_claim(alice, bob, web):
    a, b = pooled(alice), pooled(alice)
    owned = make_customer(alice)  # not in the pool: its id in the request is ignored
    response = web("bob").post(BATCH, {"action": "claim", "pk": [a.pk, b.pk, owned.pk], "next": POOL})
    assert response.status_code == 302 and response.url == POOL
    assert (reload(a).owner, reload(b).owner, reload(owned).owner) == (bob, bob, alice)
    assert not reload(a).in_pool and not reload(b).in_pool
    for c in (a, b):
        assert OwnerHistory.objects.filter(customer=c, action="claim", to_owner=bob).exists()
        assert audit("update", c, message="claim").exists()


def test_batch_claim_is_all_or_nothing(alice, bob, web, param):
    speak(bob, "en")
    param("customer_cap_account_manager", 2)
    make_customer(bob)
    a, b = pooled(alice, name="甲公司"), pooled(alice, name="乙公司")
    before = [snapshot(a), snapshot(b)]
    response = web("bob").post(BATCH, {"action": "claim", "pk": [a.pk, b.pk]}, follow=True)
    assert "乙公司: You already own 2 customers" in response.content.decode()
    assert_unchanged(a, before[0])
    assert_unchanged(b, before[1])


def test_batch_assign(alice, bob, manager, web):
    a, b = pooled(alice), pooled(alice)
    response = web("manager").post(BATCH, {"action": "assign", "owner": bob.pk, "pk": [a.pk, b.pk]})
    assert response.status_code == 302
    assert (reload(a).owner, reload(b).owner) == (bob, bob)
    assert OwnerHistory.objects.filter(action="assign", to_owner=bob, actor=manager).count() == 2


def test_batch_assign_needs_an_owner_and_the_permission(alice, bob, charlie, manager, web):
    a = pooled(alice)
    before = snapshot(a)
    web("manager").post(BATCH, {"action": "assign", "owner": "", "pk": [a.pk]})
    assert_unchanged(a, before)
    for persona in ("bob", "charlie", "exec", "agent"):
        response = web(persona).post(BATCH, {"action": "assign", "owner": bob.pk, "pk": [a.pk]})
        assert response.status_code == 403, persona
    for persona in ("exec", "agent"):
        assert web(persona).post(BATCH, {"action": "claim", "pk": [a.pk]}).status_code == 403, persona
    assert web("bob").post(BATCH, {"action": "nonsense", "pk": [a.pk]}).status_code == 403
    assert web("bob").get(BATCH).status_code == 405
    assert_unchanged(a, before)


def test_assigning_beyond_the_owners_cap_changes_nothing(alice, bob, manager, web, api, param):
    """The cap is what a user may own, whoever hands the customers over (issue 10 item 3)."""
    speak(manager, "en")
    param("customer_cap_account_manager", 1)
    make_customer(bob)
    a, b = pooled(alice, name="甲公司"), pooled(alice, name="乙公司")
    before = [snapshot(reload(a)), snapshot(reload(b))]
    response = web("manager").post(f"/customers/customers/{a.pk}/assign/", {"owner": bob.pk}, follow=True)
    assert f"{bob} already owns 1 customers, the most their role allows (1)." in response.content.decode()
    response = web("manager").post(BATCH, {"action": "assign", "owner": bob.pk, "pk": [a.pk, b.pk]}, follow=True)
    assert "甲公司: " in response.content.decode()
    response = api("manager").post(
        f"/api/v1/customers/{b.pk}/assign/", {"owner": bob.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and "most their role allows" in str(response.json()["errors"])
    assert_unchanged(a, before[0])
    assert_unchanged(b, before[1])
    assert not OwnerHistory.objects.filter(action="assign").exists()
    param("customer_cap_account_manager", 2)
    assert web("manager").post(f"/customers/customers/{a.pk}/assign/", {"owner": bob.pk}).status_code == 302
    assert reload(a).owner == bob
