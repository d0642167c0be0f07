import django_filters
from django.db.models import Q
from django.forms import ModelChoiceField
from django.utils.translation import gettext_lazy as _

from .choice_cache import cache_model_choices
from .widgets import speed_up


class BaseFilterSet(django_filters.FilterSet):
    """Every model's FilterSet: a free-text `q` over `search_fields` plus declared filters.

    The same class filters the UI list, the API list and the export.
    """

    search_fields: tuple = ()

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    # Filters whose choices depend on the requesting user: not cached across users.
    per_user_choices: tuple = ()

    def use_cached_choices(self):
        """For a page that renders the filter bar (the API and exports never build choices)."""
        for name, f in self.form.fields.items():
            if isinstance(f, ModelChoiceField) and name not in self.per_user_choices:
                cache_model_choices(f, f"{type(self).__module__}.{type(self).__name__}.{name}")
        return self

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        query = Q()
        for f in self.search_fields:
            query |= Q(**{f"{f}__icontains": value})
        return queryset.filter(query)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.form.fields.values():
            widget = speed_up(f.widget)
            css = (
                "form-select form-select-sm"
                if widget.__class__.__name__.endswith("Select")
                else "form-control form-control-sm"
            )
            widget.attrs.setdefault("class", css)
            if widget.__class__.__name__ == "DateInput":
                widget.input_type = "date"


def filterset_for(model, fields, search_fields=()):
    meta = type("Meta", (), {"model": model, "fields": fields})
    return type(
        f"{model.__name__}FilterSet",
        (BaseFilterSet,),
        {"Meta": meta, "search_fields": tuple(search_fields)},
    )
