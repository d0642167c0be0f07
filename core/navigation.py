"""Left navigation: groups and items, shown only when the user holds the item's permission."""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.text import capfirst


@dataclass
class MenuItem:
    label: str
    url_name: str
    permission: str | None = None
    icon: str = "ti ti-point"
    order: int = 100

    @property
    def url(self):
        return reverse(self.url_name)


@dataclass
class MenuGroup:
    key: str
    label: str
    icon: str
    order: int
    items: list = field(default_factory=list)


_groups: dict[str, MenuGroup] = {}


def register_group(key, label, icon, order):
    _groups.setdefault(key, MenuGroup(key, label, icon, order))


def register_item(group, item):
    _groups[group].items.append(item)


def menu_for(user):
    from .registry import configs

    result = []
    for group in sorted(_groups.values(), key=lambda g: g.order):
        items = list(group.items)
        for c in configs():
            if c.menu_group == group.key:
                items.append(
                    MenuItem(
                        capfirst(c.verbose_name_plural),
                        c.url_name("list"),
                        c.perm("view"),
                        c.menu_icon,
                        c.menu_order,
                    )
                )
        visible = [
            i for i in sorted(items, key=lambda i: i.order) if i.permission is None or user.has_perm(i.permission)
        ]
        if visible:
            result.append({"group": group, "items": visible})
    return result
