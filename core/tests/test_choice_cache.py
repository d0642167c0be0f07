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


def bound(query):
    from django.http import QueryDict

    from customers.models import Customer

    filterset = CustomerFilterSet(QueryDict(query), queryset=Customer.objects.all())
    filterset.use_cached_choices()
    return filterset


def test_filters_are_checked_against_the_cached_choices(django_assert_max_num_queries):
    level_type = DictType.objects.get(code="customer_level")
    level = DictItem.objects.filter(type=level_type, enabled=True).first()
    hidden = DictItem.objects.create(type=level_type, code="off", label_zh="停用", label_en="Off", enabled=False)
    tag_type_item = DictItem.objects.exclude(type=level_type).first()  # another dictionary's item
    bound(f"level={level.pk}").form.is_valid()  # fills the cache
    with django_assert_max_num_queries(0):
        good = bound(f"level={level.pk}")
        assert good.form.is_valid()
        assert good.form.cleaned_data["level"].pk == level.pk
    for value in (hidden.pk, tag_type_item.pk, "abc", 999999):
        form = bound(f"level={value}").form
        assert not form.is_valid()
        assert list(form.errors) == ["level"]


def test_multiple_choice_filters_use_the_cached_choices_too(django_assert_max_num_queries):
    from customers.models import Tag

    a, b = Tag.objects.create(name="甲"), Tag.objects.create(name="乙")
    bound(f"tags={a.pk}").form.is_valid()
    with django_assert_max_num_queries(0):
        form = bound(f"tags={a.pk}&tags={b.pk}&tags={a.pk}").form
        assert form.is_valid()
        assert sorted(t.pk for t in form.cleaned_data["tags"]) == sorted([a.pk, b.pk])
    assert not bound("tags=999999").form.is_valid()
