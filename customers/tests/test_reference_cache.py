"""Lookup rows kept per process (core/related.py reference_model): fewer queries, never stale."""

import pytest

from basedata.models import DictItem
from core.registry import get_config
from core.related import related_objects
from core.testing.helpers import get_with_sql
from customers.tests.factories import make_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_cache")]

LIST = "/customers/customers/"


def test_a_list_page_reads_levels_provinces_and_owners_once(web, org, dicts, regions):
    make_customer(org["alice"], level=dicts["customer_level", "vip"], province=regions["bj"])
    client = web("alice")
    client.get(LIST)
    response, sql = get_with_sql(client, LIST)
    assert response.status_code == 200
    assert not any('"basedata_dictitem"' in q or '"basedata_region"' in q for q in sql)
    assert not any('FROM "accounts_user" WHERE "accounts_user"."id" IN' in q for q in sql)
    body = response.content.decode()
    assert dicts["customer_level", "vip"].label_zh in body or dicts["customer_level", "vip"].label_en in body


def test_a_renamed_dictionary_item_shows_on_the_next_page(web, org, dicts):
    vip = dicts["customer_level", "vip"]
    make_customer(org["alice"], level=vip)
    client = web("alice")
    client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    get_config(DictItem).service.update(
        actor=org["admin"], instance=vip, data={"label_zh": "钻石客户X", "label_en": "Diamond X"}
    )
    body = client.get(LIST).content.decode()
    assert "钻石客户X" in body or "Diamond X" in body


def test_each_lookup_builds_its_own_instances(dicts):
    vip = dicts["customer_level", "vip"]
    first = related_objects(DictItem, [vip.pk], only=["label_zh", "label_en"])[vip.pk]
    second = related_objects(DictItem, [vip.pk], only=["label_zh", "label_en"])[vip.pk]
    assert first is not second
    assert (first.pk, first.label_zh, first.label_en) == (vip.pk, vip.label_zh, vip.label_en)
    first.label_zh = "changed in one request"
    assert related_objects(DictItem, [vip.pk])[vip.pk].label_zh == vip.label_zh


def test_edit_and_delete_buttons_follow_the_function_rights(web, org):
    customer = make_customer(org["alice"])
    url = f"/customers/customers/{customer.pk}/"
    own = web("alice").get(url).content.decode()
    assert 'id="edit-button"' in own and 'id="delete-button"' in own
    response = web("exec").get(url)  # may view every customer, may change none
    assert response.status_code == 200
    assert 'id="edit-button"' not in response.content.decode()
    assert 'id="delete-button"' not in response.content.decode()
