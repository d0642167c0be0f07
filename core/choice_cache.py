"""Choice lists of filter dropdowns, cached until a row of their model changes.

A customer filter bar has a dozen model dropdowns (dictionaries, provinces, owners, tags):
building them meant a dozen queries and a few hundred model instances on every list page.
The cached list holds (value, label) pairs per language; a save or delete of any row of the
model bumps the model's version in the shared cache, so every worker rebuilds on its next use.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.forms import ModelMultipleChoiceField
from django.utils import translation

from .cache import read_versions, replace_version

_lists = {}  # (key, language) -> (version, choices)
_watched = set()


def _version_key(model):
    return f"choices-version:{model._meta.label_lower}"


def _bump(sender, **kwargs):
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"last_login"}:
        return  # a login changes no label
    new_version(sender)
    # Again after the commit: a process that read the old rows in between (and kept them
    # under the new version) must not keep them.
    transaction.on_commit(lambda: new_version(sender))


def new_version(model):
    replace_version(_version_key(model))


def watch(model):
    """Bump `model`'s version in the shared cache on every save or delete of one of its rows."""
    if model not in _watched:
        _watched.add(model)
        uid = f"choice-cache-{model._meta.label_lower}"
        post_save.connect(_bump, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(_bump, sender=model, weak=False, dispatch_uid=uid)


def model_versions(models):
    """{model: version} in one cache round trip (a filter bar has a dozen model dropdowns)."""
    keys = {_version_key(m): m for m in models}
    return {model: version for key, version in read_versions(list(keys)).items() for model in [keys[key]]}


def scoped_choices(model):
    """Whether the rows a dropdown of `model` may offer depend on who is asking.

    Rows of a model with a data scope or a function permission (`visible_to`) differ per user;
    lookup tables whose rows every user may pick (`CHOICES_FOR_ALL_USERS`: dictionaries, regions,
    departments, colleagues) do not. Only the latter may share one cached list."""
    return hasattr(model._default_manager.none(), "visible_to") and not getattr(model, "CHOICES_FOR_ALL_USERS", False)


def large_choices(model):
    """Whether `model` has too many rows to render as <option>s (`AUTOCOMPLETE = True`): forms
    and filter bars then pick its rows through the autocomplete endpoint (core/views/autocomplete.py)."""
    return bool(getattr(model, "AUTOCOMPLETE", False))


def cache_model_choices(field, key, version=None):
    """Give a Model(Multiple)ChoiceField a static choice list, rebuilt when its model changes."""
    model = field.queryset.model
    if scoped_choices(model) or large_choices(model):
        # One list for every user would show alice bob's customers (the list is process-wide).
        raise ValueError(f"{model._meta.label}: choices depend on the user or are too many to cache")
    watch(model)
    if version is None:
        version = model_versions([model])[model]
    slot = (key, translation.get_language())
    hit = _lists.get(slot)
    if hit is None or hit[0] != version:
        choices = [(str(value), label) for value, label in field.choices]
        hit = (version, choices, frozenset(value for value, _label in choices if value != ""))
        _lists[slot] = hit
    # Set underneath the `choices` setters: django-filters' fields wrap whatever is assigned
    # there in a queryset iterator again.
    field._choices = field.widget.choices = hit[1]
    _validate_from(field, hit[2])
    return version


def _validate_from(field, keys):
    """Check submitted values against the cached choices instead of one query per filter.

    The cleaned value is an unsaved instance carrying only the primary key: what a filter on a
    foreign key needs. The choices are exactly what the field's queryset gave (and are rebuilt
    when the model changes), so the same values pass as with the query.
    """
    model = field.queryset.model
    pk = model._meta.pk
    invalid = field.error_messages["invalid_choice"]

    def instance(value):
        if str(value) not in keys:
            raise ValidationError(invalid, code="invalid_choice", params={"value": value})
        return model(pk=pk.to_python(value))

    if isinstance(field, ModelMultipleChoiceField):
        field._check_values = lambda values: [instance(v) for v in dict.fromkeys(values)]
    else:
        field.to_python = lambda value: None if value in field.empty_values else instance(value)
