from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Todo


class TodoForm(forms.ModelForm):
    """Title, due and reminder times; Todo.clean() checks that the reminder comes first."""

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
