import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import BaseFilterSet

from .models import DictItem, DictType, Region, SystemParameter


class DictTypeFilterSet(BaseFilterSet):
    search_fields = ("code", "name", "name_en")
    ordering_fields = ["code", "order"]

    class Meta:
        model = DictType
        fields = []


class DictItemFilterSet(BaseFilterSet):
    search_fields = ("code", "label_zh", "label_en")
    ordering_fields = ["order", "code"]
    type_code = django_filters.CharFilter(field_name="type__code", label=_("dictionary code"))

    class Meta:
        model = DictItem
        fields = ["type", "enabled"]


class RegionFilterSet(BaseFilterSet):
    search_fields = ("code", "name", "name_en")
    ordering_fields = ["code", "order", "level"]
    # Only countries, provinces and cities can be parents: keeps the dropdown short.
    parent = django_filters.ModelChoiceFilter(
        queryset=Region.objects.filter(level__lt=Region.Level.DISTRICT).order_by("level", "code"),
        label=_("parent region"),
    )

    class Meta:
        model = Region
        fields = ["level", "parent", "enabled"]


class SystemParameterFilterSet(BaseFilterSet):
    search_fields = ("key", "label", "label_en", "value")
    ordering_fields = ["key", "group"]

    class Meta:
        model = SystemParameter
        fields = ["group", "kind"]
