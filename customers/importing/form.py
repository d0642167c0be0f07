"""The upload form of the customer import: target (me / a chosen owner / the pool) and strategy."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import ImportUploadForm


class CustomerImportForm(ImportUploadForm):
    target = forms.ChoiceField(
        label=gettext_lazy("Import into"),
        choices=[
            ("me", gettext_lazy("My customers")),
            ("owner", gettext_lazy("A chosen owner")),
            ("pool", gettext_lazy("The public pool")),
        ],
        initial="me",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"),
        required=False,
        queryset=get_user_model().objects.filter(is_active=True),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, has_key=True, **kwargs)
        self.user = user
        if user is None or not user.has_perm("customers.assign_customer"):
            self.fields["target"].choices = [c for c in self.fields["target"].choices if c[0] != "owner"]
            del self.fields["owner"]

    def clean(self):
        data = super().clean()
        if data.get("target") == "owner" and not data.get("owner"):
            self.add_error("owner", _("Choose the owner of the imported customers."))
        if (
            data.get("duplicate_strategy") == "create"
            and self.user
            and not self.user.has_perm("customers.save_duplicate_customer")
        ):
            self.add_error("duplicate_strategy", _("You may not create duplicate customers."))
        return data

    def import_options(self):
        owner = self.cleaned_data.get("owner")
        return {
            "duplicate_strategy": self.cleaned_data.get("duplicate_strategy", "skip"),
            "target": self.cleaned_data.get("target", "me"),
            "owner": owner.pk if owner else None,
        }
