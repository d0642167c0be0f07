"""Left navigation: groups and items, shown only when the user holds the item's permission."""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language


@dataclass
class MenuItem:
    label: str
    url_name: str
    # One permission, or a tuple of which any one opens the page (the pool: claim or assign).
    # It must be what the view itself checks: an entry that answers 403 is a dead end.
    permission: str | tuple | None = None
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
    forget_menus()


def register_item(group, item):
    _groups[group].items.append(item)
    forget_menus()


def _menu(language):
    """Every group with all its items, labels and URLs resolved: (group, [(permission, item)]).

    Built once per language and process: menus are registered at start-up, and reversing the
    URL of every item on every page cost more than the rest of the navigation."""
    cached = _built.get(language)
    if cached is not None:
        return cached
    from .registry import configs

    built = []
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
        shown = {"icon": group.icon, "label": str(group.label)}
        built.append(
            (
                shown,
                [
                    (i.permission, {"url": i.url, "icon": i.icon, "label": str(i.label)})
                    for i in sorted(items, key=lambda i: i.order)
                ],
            )
        )
    _built[language] = built
    return built


_built = {}


def forget_menus():
    _built.clear()


def _allowed(user, permission):
    if permission is None:
        return True
    if isinstance(permission, tuple):
        return any(user.has_perm(p) for p in permission)
    return user.has_perm(permission)


def menu_for(user):
    result = []
    for group, items in _menu(get_language()):
        visible = [item for permission, item in items if _allowed(user, permission)]
        if visible:
            result.append({"group": group, "items": visible})
    return result
