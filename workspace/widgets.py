"""Workbench widgets: later modules register cards (counts, charts) shown on the home page."""

from dataclasses import dataclass


@dataclass
class Widget:
    key: str
    title: str
    template: str
    get_context: object  # callable(user) -> dict
    permission: str | None = None
    order: int = 100


_widgets: list[Widget] = []


def register_widget(widget):
    _widgets.append(widget)


def widgets_for(user):
    result = []
    for w in sorted(_widgets, key=lambda w: w.order):
        if w.permission is None or user.has_perm(w.permission):
            result.append({"title": w.title, "template": w.template, **w.get_context(user)})
    return result
