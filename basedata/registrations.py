from django.utils.translation import gettext_lazy as _

from core.navigation import register_group
from core.registry import ModelConfig, Tab, register

from .api.serializers import SystemParameterSerializer
from .filtersets import (
    DictItemFilterSet,
    DictTypeFilterSet,
    RegionFilterSet,
    SystemParameterFilterSet,
)
from .forms import SystemParameterForm
from .models import DictItem, DictType, Region, SystemParameter
from .services import parameter_service

register_group("basedata", _("Basic data"), "ti ti-database", 80)


def _items_tab(obj, user):
    return {"rows": obj.items.all(), "add_url_param": f"type={obj.pk}"}


def _children_tab(obj, user):
    return {"rows": obj.children.all()[:500]}


register(
    ModelConfig(
        model=DictType,
        url_base="dictionaries",
        list_fields=["code", "name", "name_en", "order"],
        form_fields=["code", "name", "name_en", "description", "order"],
        detail_fields=["code", "name", "name_en", "description", "order"],
        search_fields=["code", "name", "name_en"],
        filterset=DictTypeFilterSet,
        ordering=["order", "code"],
        api_fields=["id", "code", "name", "name_en", "description", "order"],
        menu_group="basedata",
        menu_icon="ti ti-book",
        menu_order=10,
        tabs=[Tab("items", _("Items"), "basedata/_dictitems_tab.html", _items_tab)],
    )
)
register(
    ModelConfig(
        model=DictItem,
        url_base="dictionary-items",
        list_fields=["label_zh", "label_en", "code", "type", "order", "enabled"],
        form_fields=["type", "code", "label_zh", "label_en", "order", "enabled"],
        detail_fields=["type", "code", "label_zh", "label_en", "order", "enabled"],
        import_fields=["type", "code", "label_zh", "label_en", "order", "enabled"],
        bulk_edit_fields=["enabled", "order"],
        filterset=DictItemFilterSet,
        select_related=["type"],
        ordering=["type__order", "order", "code"],
        api_fields=["id", "type", "code", "label_zh", "label_en", "order", "enabled"],
        menu_group="basedata",
        menu_icon="ti ti-list-details",
        menu_order=20,
    )
)
register(
    ModelConfig(
        model=Region,
        url_base="regions",
        list_fields=["name", "name_en", "code", "level", "parent", "enabled"],
        form_fields=["code", "name", "name_en", "level", "parent", "order", "enabled"],
        detail_fields=["code", "name", "name_en", "level", "parent", "order", "enabled"],
        import_fields=["code", "name", "name_en", "level", "parent", "order"],
        import_key="code",
        bulk_edit_fields=["enabled"],
        search_fields=["name", "name_en", "code"],
        filterset=RegionFilterSet,
        select_related=["parent"],
        ordering=["level", "code"],
        api_fields=["id", "code", "name", "name_en", "level", "parent", "order", "enabled"],
        menu_group="basedata",
        menu_icon="ti ti-map-pin",
        menu_order=30,
        tabs=[Tab("children", _("Sub-regions"), "basedata/_regions_tab.html", _children_tab)],
    )
)
register(
    ModelConfig(
        model=SystemParameter,
        url_base="parameters",
        list_fields=["label", "label_en", "key", "group", "value"],
        form_fields=["value", "image"],
        form=SystemParameterForm,
        detail_fields=[
            "key",
            "label",
            "label_en",
            "group",
            "kind",
            "value",
            "image",
            "description",
            "updated_at",
        ],
        filterset=SystemParameterFilterSet,
        service=parameter_service,
        ordering=["group", "key"],
        serializer=SystemParameterSerializer,
        can_add=False,
        can_delete=False,
        menu_group="basedata",
        menu_icon="ti ti-adjustments",
        menu_order=40,
    )
)
