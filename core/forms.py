from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .files import prepare_form
from .widgets import html_date_input, speed_up


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


def restrict_choices(fields, user):
    """Offer only rows the user may see in every model-choice dropdown (house rule 2)."""
    for f in fields.values():
        qs = getattr(f, "queryset", None)
        if qs is not None and hasattr(qs, "visible_to") and user is not None:
            model = qs.model
            if getattr(model, "CHOICES_FOR_ALL_USERS", False):
                continue
            f.queryset = qs.visible_to(user, "view")


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
