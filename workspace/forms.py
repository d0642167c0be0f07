from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Todo


class TodoForm(forms.ModelForm):
    class Meta:
        model = Todo
        fields = ["title", "due_at", "remind_at", "note"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control", "placeholder": _("What needs doing?")}),
            "due_at": forms.DateTimeInput(
                attrs={"class": "form-control", "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "remind_at": forms.DateTimeInput(
                attrs={"class": "form-control", "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "note": forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        }

    def clean(self):
        data = super().clean()
        if data.get("remind_at") and data.get("due_at") and data["remind_at"] > data["due_at"]:
            self.add_error("remind_at", _("The reminder must come before the due time."))
        return data
