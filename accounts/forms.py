from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import Permission
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import ScopedModelForm

from .models import Role, User


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password. Note that the password is case-sensitive."),
        "inactive": _("This account is disabled. Ask your administrator."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"class": "form-control", "autofocus": True, "autocomplete": "username"}
        )
        self.fields["password"].widget.attrs.update({"class": "form-control", "autocomplete": "current-password"})


def _pw_widget():
    return forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"})


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        widget=_pw_widget(),
        help_text=password_validation.password_validators_help_text_html,
    )
    new_password2 = forms.CharField(label=_("New password again"), widget=_pw_widget())

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


class PasswordResetForm(forms.Form):
    new_password1 = forms.CharField(label=_("New password"), widget=_pw_widget())
    new_password2 = forms.CharField(label=_("New password again"), widget=_pw_widget())

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


class UserForm(ScopedModelForm):
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        widget=_pw_widget(),
        help_text=_("Leave empty to set it later with a reset."),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "name",
            "email",
            "phone",
            "department",
            "position",
            "manager",
            "roles",
            "language",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["password"]
        self.fields["roles"].widget.attrs["size"] = 6

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            password_validation.validate_password(password, User(username=self.cleaned_data.get("username", "")))
        return password

    def service_data(self):
        data = super().service_data()
        if self.cleaned_data.get("password"):
            data["password"] = self.cleaned_data["password"]
        return data


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        model = obj.content_type.model_class()
        name = model._meta.verbose_name if model else obj.content_type
        if not obj.codename.endswith(f"_{obj.content_type.model}"):
            # Not "<action>_<model>" (accounts.view_all_audit): "view" would read as view_auditentry.
            return f"{name}: {gettext(obj.name)}"
        return f"{name}: {obj.codename.split('_', 1)[0]}"


CRM_APPS = [
    "accounts",
    "basedata",
    "workspace",
    "core",
    "customers",
    "sales",
    "marketing",
    "service",
    "churn",
    "reports",
    "projects",
    "expenses",
    "employees",
]


class RoleForm(ScopedModelForm):
    permissions = PermissionChoiceField(
        label=_("Function permissions"),
        queryset=Permission.objects.filter(content_type__app_label__in=CRM_APPS)
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Role
        fields = ["name", "name_en", "code", "description", "data_scope", "permissions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].widget.attrs = {"class": "form-check-input"}


class ProfileForm(ScopedModelForm):
    class Meta:
        model = User
        fields = ["name", "email", "phone", "language"]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=60,
        initial="API",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
