"""Latin words cannot collide with encoded Chinese characters (issue 11 item 13).

A Chinese character is stored as "x" + its hex code point (广 → x5e7f); a Latin word starting
with "x" is stored and queried as "xx…", so "x5" no longer prefix-matches every name holding a
character between U+5000 and U+5FFF.
"""

import importlib

import pytest
from django.apps import apps

from core.search_tokens import make_tokens, query_terms
from customers.models import Customer
from customers.search import search_customers

from .factories import make_customer, reload

pytestmark = pytest.mark.django_db

NAMES = ["宝马X5汽车服务有限公司", "广州广告有限公司", "常州市新北区五金厂", "X53 Robotics"]


@pytest.fixture
def customers(alice):
    return {name: make_customer(alice, name) for name in NAMES}


def _found(query):
    return set(search_customers(Customer.objects.all(), query).values_list("name", flat=True))


def test_latin_x_words_do_not_match_encoded_characters(customers):
    # 广 (U+5E7F), 常 (U+5E38), 州 (U+5DDE), 五 (U+4E94) … all encode as x5…/x4…
    assert _found("x5") == {"宝马X5汽车服务有限公司", "X53 Robotics"}
    assert _found("x53") == {"X53 Robotics"}
    assert _found("x5e") == set()
    assert _found("宝马X5") == {"宝马X5汽车服务有限公司"}


def test_stored_and_queried_forms_agree():
    stored = make_tokens("X5", names=["宝马"]).split()
    assert "xx5" in stored and "x5" not in stored
    assert query_terms("x5") == [("xx5", True)]
    # pinyin starting with x is escaped the same way: 小米 → xxiaomi / xxm, and found by "xiao"
    assert {"xxiaomi", "xxm"} <= set(make_tokens(names=["小米"]).split())
    assert query_terms("xiao") == [("xxiao", True)]


def test_pinyin_query_starting_with_x_still_finds_names(alice):
    make_customer(alice, "小米科技有限公司")
    assert "小米科技有限公司" in _found("xiaomi")
    assert "小米科技有限公司" in _found("xmkj")


def test_migration_rebuilds_old_tokens(customers):
    bmw = customers["宝马X5汽车服务有限公司"]
    Customer.all_objects.filter(pk=bmw.pk).update(search_text="x5b9d x9a6c x5b9dx9a6c x5")  # the old form
    assert "宝马X5汽车服务有限公司" not in _found("x5")  # old tokens are not found by the new queries
    migration = importlib.import_module("customers.migrations.0008_rebuild_search_tokens")
    migration.rebuild(apps, None)
    assert "xx5" in reload(bmw).search_text.split()
    assert _found("x5e") == set()
    assert _found("x5") == {"宝马X5汽车服务有限公司", "X53 Robotics"}
