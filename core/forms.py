from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choice_cache import large_choices, scoped_choices
from .files import prepare_form
from .widgets import autocomplete, html_date_input, speed_up


def keep_stored_precision(form):
    """An untouched date-time keeps its stored seconds: the HTML input shows minutes only, and
    saving a form nobody changed must change nothing (13:05:42 became 13:05:00)."""
    instance = getattr(form, "instance", None)
    if instance is None or instance.pk is None:
        return
    for name, field in form.fields.items():
        if not isinstance(field, forms.DateTimeField) or name not in form.cleaned_data:
            continue
        stored, submitted = getattr(instance, name, None), form.cleaned_data[name]
        if stored is not None and submitted is not None and stored.replace(second=0, microsecond=0) == submitted:
            form.cleaned_data[name] = stored


class _KeptScope:
    """A model-choice field that stays within its user's scope whatever queryset it is given
    later: a form's __init__ that narrows a dropdown after restrict_choices (`contact` of the
    chosen customer) offered and accepted the contacts of a customer outside the scope."""

    def _set_queryset(self, queryset):
        if queryset is not None and scoped_choices(queryset.model):
            queryset = queryset.visible_to(self.scope_user, "view")
        super()._set_queryset(queryset)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)


_kept_classes = {}


def _keep_scope(field, user):
    cls = type(field)
    if not issubclass(cls, _KeptScope):
        kept = _kept_classes.get(cls)
        if kept is None:
            kept = _kept_classes[cls] = type(cls.__name__, (_KeptScope, cls), {"__module__": cls.__module__})
        field.__class__ = kept
    field.scope_user = user
    field.queryset = field.queryset  # through the setter: scoped now


def restrict_choices(fields, user):
    """Offer only rows the user may see in every model-choice dropdown (house rule 2), now and
    after any later change of the field's queryset; a large model's field (`AUTOCOMPLETE`)
    gets the autocomplete widget instead of every row as an <option>."""
    for f in fields.values():
        if not isinstance(f, forms.ModelChoiceField) or f.queryset is None:
            continue
        if scoped_choices(f.queryset.model):
            _keep_scope(f, user)
        if large_choices(f.queryset.model) and not isinstance(f, forms.ModelMultipleChoiceField):
            autocomplete(f)


class ScopedModelForm(forms.ModelForm):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        restrict_choices(self.fields, user)
        prepare_form(self)  # attachment type/size rules and download links (core/files.py)
        for f in self.fields.values():
            widget = speed_up(f.widget)
            if isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            else:
                widget.attrs.setdefault("class", "form-control")
            html_date_input(widget)

    def _post_clean(self):
        keep_stored_precision(self)
        super()._post_clean()

    def service_data(self):
        """Cleaned values of the model fields this form edits, for the service call."""
        names = {f.name for f in self._meta.model._meta.get_fields()}
        return {k: v for k, v in self.cleaned_data.items() if k in names}


def apply_validation_error(form, error: ValidationError):
    """Put a service's ValidationError onto the form: per field where possible."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for e in errors:
                form.add_error(target, e)
    else:
        form.add_error(None, error)


class ImportUploadForm(forms.Form):
    STRATEGIES = [
        ("skip", _("Skip rows that already exist")),
        ("update", _("Update rows that already exist")),
        ("create", _("Create anyway")),
    ]
    file = forms.FileField(
        label=_("File (.xlsx or .csv, up to 20 MB)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.xls,.csv"}),
    )
    duplicate_strategy = forms.ChoiceField(
        label=_("When a row already exists"),
        choices=STRATEGIES,
        initial="skip",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, has_key=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_key:
            del self.fields["duplicate_strategy"]

    def clean_file(self):
        from .importing import validate_upload

        upload = self.cleaned_data["file"]
        validate_upload(upload)
        return upload


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, widget=forms.TextInput(attrs={"class": "form-control"}))
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    shared = forms.BooleanField(
        label=_("Share with everyone"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
