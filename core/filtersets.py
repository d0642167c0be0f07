import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.forms import ModelChoiceField
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .bounds import INT64_MAX, INT64_MIN, column_range, field_range, out_of_range
from .choice_cache import cache_model_choices, model_versions, scoped_choices
from .forms import restrict_choices
from .widgets import AutocompleteSelect, html_date_input, speed_up

_rendered_fields = {}  # (filterset class, language, values, choice versions) -> HTML


class _ShallowCopiedFilters(dict):
    """django-filter deep-copies every filter (querysets, lookups, labels) for each FilterSet
    instance: ~1,300 deepcopy calls on a customer list page. Each instance only sets `model`
    and `parent` on its filters, so a copy of each filter is enough."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, f in self.items():
            copies[name] = c = copy.copy(f)
            # Their own `extra` (django-filter writes the request's queryset into it) and their
            # own form field, built on first use: nothing a request changes is shared.
            c.extra = dict(f.extra)
            c.__dict__.pop("_field", None)
            if getattr(f, "_method", None):
                c.method = f._method  # a FilterMethod bound to the copy (it finds `parent` there)
        return copies


class _FreshFields(dict):
    """A filter form's fields: built afresh for each FilterSet (see above), so the form need
    not deep-copy them again as Form.__init__ does (~10 ms a customer list page)."""

    def __deepcopy__(self, memo):
        return dict(self)


class BaseFilterSet(django_filters.FilterSet):
    """Every model's FilterSet: a free-text `q` over `search_fields` plus declared filters.

    The same class filters the UI list, the API list and the export.
    """

    search_fields: tuple = ()

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    # Filters whose choices depend on the requesting user: not cached across users. Filters on
    # a scoped model (core.choice_cache.scoped_choices) are added by themselves (`scoped_fields`).
    per_user_choices: tuple = ()

    @classmethod
    def get_filters(cls):
        return _ShallowCopiedFilters(super().get_filters())

    def get_form_class(self):
        form_class = super().get_form_class()  # a new class for each call
        form_class.base_fields = _FreshFields(form_class.base_fields)
        return form_class

    def use_cached_choices(self):
        """For a page that renders the filter bar (the API and exports never build choices)."""
        fields = [
            (name, f)
            for name, f in self.form.fields.items()
            if isinstance(f, ModelChoiceField)
            and name not in self.per_user_choices
            and name not in self.scoped_fields
            and not isinstance(f.widget, AutocompleteSelect)  # never every row of a large table
        ]
        known = model_versions({f.queryset.model for _name, f in fields})
        prefix = f"{type(self).__module__}.{type(self).__name__}"
        self.choice_versions = tuple(
            cache_model_choices(f, f"{prefix}.{name}", known[f.queryset.model]) for name, f in fields
        )
        return self

    def rendered_fields(self):
        """The filter bar's fields as HTML, from a small per-process cache.

        The HTML depends only on the filter values, the language and the choice lists (their
        versions are in the key), and rendering a dozen widgets is a third of a list page's time.
        """
        data = self.data if self.is_bound else {}
        # A scoped filter's options (or its selected row) are the viewer's: no shared HTML. Only
        # an empty autocomplete renders the same for everybody.
        per_user = self.per_user_choices or any(
            not isinstance(self.form.fields[name].widget, AutocompleteSelect) or (data and data.get(name))
            for name in self.scoped_fields
        )
        if not hasattr(self, "choice_versions") or per_user:
            return render_to_string("generic/_filter_fields.html", {"filterset": self})
        values = tuple((name, tuple(data.getlist(name)) if data else ()) for name in self.form.fields)
        key = (type(self), translation.get_language(), values, self.choice_versions)
        html = _rendered_fields.get(key)
        if html is None:
            html = render_to_string("generic/_filter_fields.html", {"filterset": self})
            if len(_rendered_fields) >= 512:
                _rendered_fields.pop(next(iter(_rendered_fields)))
            _rendered_fields[key] = html
        return html

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        query = Q()
        for f in self.search_fields:
            query |= Q(**{f"{f}__icontains": value})
        return queryset.filter(query)

    def filter_queryset(self, queryset):
        # A customer outside the viewer's scope (or none at all) filters to nothing, as an unknown
        # id always did; a refused value of a scoped filter too: the other filters alone would list
        # rows the person did not ask for.
        cleaned = getattr(self.form, "cleaned_data", {})
        if self.scoped_fields & set(self.form.errors) or any(
            cleaned.get(name) is OUT_OF_SCOPE for name in self.scoped_fields
        ):
            return queryset.none()
        return super().filter_queryset(queryset)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Dropdowns on scoped models offer (and accept) only the requesting user's rows; large
        # models get the autocomplete (core.forms.restrict_choices). No request: no rows.
        self.scoped_fields = {
            name
            for name, f in self.form.fields.items()
            if isinstance(f, ModelChoiceField) and f.queryset is not None and scoped_choices(f.queryset.model)
        }
        restrict_choices(self.form.fields, getattr(self.request, "user", None))
        for name in self.scoped_fields:
            _no_rows_outside_scope(self.form.fields[name])
        for f in self.form.fields.values():
            widget = speed_up(f.widget)
            css = (
                "form-select form-select-sm"
                if widget.__class__.__name__.endswith("Select")
                else "form-control form-control-sm"
            )
            widget.attrs.setdefault("class", css)
            html_date_input(widget)
        bound_numbers(self)


# The cleaned value of a scoped filter given a well-formed id the viewer cannot see: no rows.
OUT_OF_SCOPE = object()


def _no_rows_outside_scope(field):
    """A well-formed id outside the viewer's scope is a valid filter that matches nothing (as an id
    of no row is): a field error there would tell the API client that the value is special."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        return  # its ids are refused one by one with a field error
    to_python = field.to_python
    key = field.queryset.model._meta.pk if field.to_field_name is None else None
    if key is None:
        key = field.queryset.model._meta.get_field(field.to_field_name)

    def scoped(value):
        try:
            return to_python(value)
        except ValidationError as e:
            if e.code != "invalid_choice":
                raise
            try:
                key.to_python(value)
            except ValidationError:
                raise e from None  # not an id at all ("abc"): the field's own error
            return OUT_OF_SCOPE

    field.to_python = scoped


def bound_numbers(filterset):
    """Refuse, as a field error, an id or number the column cannot hold (`?city=99…9`): it
    reached the query and raised OverflowError on SQLite, DataError on PostgreSQL (a 500)."""
    model = filterset._meta.model
    for name, field in filterset.form.fields.items():
        if isinstance(field, ModelChoiceField):
            key = field.queryset.model._meta.pk if field.to_field_name is None else None
            if key is None:
                key = field.queryset.model._meta.get_field(field.to_field_name)
            bounds = column_range(key)
            if bounds is not None:
                _bound_choices(field, bounds)
        elif isinstance(field, forms.DecimalField | forms.FloatField | forms.IntegerField):
            declared = filterset.filters.get(name)
            bounds = field_range(model, getattr(declared, "field_name", None)) or (INT64_MIN, INT64_MAX)
            # Tighter limits declared on the filter (max_value=…) come first and keep their message.
            field.validators += [MinValueValidator(bounds[0]), MaxValueValidator(bounds[1])]


def _bound_choices(field, bounds):
    if isinstance(field, forms.ModelMultipleChoiceField):
        check_values = field._check_values

        def checked_values(values):
            for value in values:
                if out_of_range(value, bounds):
                    raise ValidationError(
                        field.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": value}
                    )
            return check_values(values)

        field._check_values = checked_values
    else:
        to_python = field.to_python

        def checked(value):
            if value not in field.empty_values and out_of_range(value, bounds):
                raise ValidationError(field.error_messages["invalid_choice"], code="invalid_choice")
            return to_python(value)

        field.to_python = checked


def filterset_for(model, fields, search_fields=()):
    meta = type("Meta", (), {"model": model, "fields": fields})
    return type(
        f"{model.__name__}FilterSet",
        (BaseFilterSet,),
        {"Meta": meta, "search_fields": tuple(search_fields)},
    )
