import pytest

from basedata.models import DictItem, DictType
from customers.filtersets import CustomerFilterSet

pytestmark = pytest.mark.django_db


def level_labels():
    return [label for _value, label in CustomerFilterSet().use_cached_choices().form.fields["level"].choices]


def test_filter_choices_follow_saves_and_deletes(django_assert_max_num_queries):
    level_type = DictType.objects.get(code="customer_level")
    level_labels()
    with django_assert_max_num_queries(0):
        first = level_labels()  # served from the cache
    item = DictItem.objects.create(type=level_type, code="zz", label_zh="钻石", label_en="Diamond")
    assert "Diamond" in level_labels() or "钻石" in level_labels()
    assert not set(first) >= {"Diamond", "钻石"}
    item.delete()
    assert "Diamond" not in level_labels() and "钻石" not in level_labels()


def test_cache_clear_never_serves_an_old_list():
    from django.core.cache import cache

    level_labels()
    level_type = DictType.objects.get(code="customer_level")
    # Written without signals (as a rolled-back test or another tool would): only a cleared
    # cache tells the process to rebuild.
    DictItem.objects.bulk_create([DictItem(type=level_type, code="zz", label_zh="钻石", label_en="Diamond")])
    cache.clear()
    assert {"Diamond", "钻石"} & set(level_labels())
