"""The system parameter edit form: a control per type instead of a free-text "0"/"1" box."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import ScopedModelForm

from .models import SystemParameter

YES_NO = [("1", _("Yes")), ("0", _("No"))]


class SystemParameterForm(ScopedModelForm):
    class Meta:
        model = SystemParameter
        fields = ["value", "image"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.instance.kind
        Kind = SystemParameter.Kind
        if kind != Kind.IMAGE:
            self.fields.pop("image", None)
        else:
            self.fields.pop("value", None)
            return
        label = self.fields["value"].label
        help_text = self.instance.description
        if kind == Kind.BOOLEAN:
            self.fields["value"] = forms.ChoiceField(
                label=label,
                choices=YES_NO,
                help_text=help_text,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
            self.initial["value"] = "1" if self.instance.value in {"1", "true"} else "0"
        elif kind == Kind.INTEGER:
            self.fields["value"] = forms.IntegerField(
                label=label,
                help_text=help_text,
                min_value=0,
                max_value=10**9,
                widget=forms.NumberInput(attrs={"class": "form-control", "step": 1}),
            )
        else:
            self.fields["value"].help_text = help_text

    def clean_value(self):
        value = self.cleaned_data["value"]
        return "" if value is None else str(value)
