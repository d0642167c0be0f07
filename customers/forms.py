from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from basedata.models import Region
from core.bounds import parse_id
from core.forms import ScopedModelForm, restrict_choices

from .models import Contact, Customer, FollowUp, Tag

CUSTOMER_FIELDS = [
    "name",
    "short_name",
    "customer_type",
    "level",
    "status",
    "source",
    "credit_rating",
    "industry",
    "ownership",
    "scale",
    "capital_band",
    "revenue_band",
    "province",
    "city",
    "district",
    "address",
    "postal_code",
    "phone",
    "mobile",
    "fax",
    "email",
    "website",
    "qq",
    "legal_representative",
    "founded_on",
    "tags",
    "remark",
]


def _pk(value):
    """A submitted id as an int, or None for anything else (bad input must not reach a query)."""
    return parse_id(getattr(value, "pk", value))


def region_cascade(target):
    """htmx attributes of a province/city select that refills `target` with its children.

    Shared by the customer form and the customer filter bar. Everything is set explicitly: in the
    filter bar the select sits in a form whose own hx-swap / hx-push-url / hx-sync it must not
    inherit. static/js/crm.js empties the levels below as soon as the parent changes.
    """
    from django.urls import reverse

    return {
        "hx-get": reverse("basedata:region_options"),
        "hx-target": target,
        "hx-trigger": "change",
        "hx-include": "this",
        "hx-swap": "innerHTML",
        "hx-push-url": "false",
        "hx-sync": "this:replace",
    }


class HttpsURLField(forms.URLField):
    """A website typed without a scheme ("longhu.cn") is taken as https://."""

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


CONTACT_FIELDS = [
    "customer",
    "name",
    "gender",
    "salutation",
    "position",
    "department_name",
    "office_phone",
    "mobile",
    "email",
    "qq",
    "wechat",
    "birthday",
    "is_primary",
    "education",
    "hobbies",
    "notes",
]


class CustomerForm(ScopedModelForm):
    confirm_duplicate = forms.BooleanField(
        label=_("Save even though a similar customer exists"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    website = forms.URLField(label=_("website"), required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        widgets = {"remark": forms.Textarea(attrs={"rows": 3}), "founded_on": forms.DateInput()}
        field_classes = {"website": HttpsURLField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        province = _pk(self.data.get("province") or getattr(self.instance, "province_id", None))
        city = _pk(self.data.get("city") or getattr(self.instance, "city_id", None))
        # Dependent dropdowns: cities of the chosen province, districts of the chosen city.
        self.fields["province"].queryset = Region.objects.filter(level=1).order_by("code")
        self.fields["city"].queryset = Region.objects.filter(level=2, parent_id=province or 0).order_by("code")
        self.fields["district"].queryset = Region.objects.filter(level=3, parent_id=city or 0).order_by("code")
        self.fields["province"].widget.attrs.update(region_cascade("#id_city"))
        self.fields["city"].widget.attrs.update(region_cascade("#id_district"))
        from django.urls import reverse

        dup_url = reverse("customers:duplicate_check")
        for name in ("name", "phone", "mobile", "email"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": dup_url,
                    "hx-trigger": "input changed delay:400ms, blur",
                    "hx-target": "#duplicate-warning",
                    "hx-include": "#id_name, #id_phone, #id_mobile, #id_email",
                    "hx-vals": f'{{"exclude": "{self.instance.pk or ""}"}}',
                }
            )
        self.fields["name"].error_messages["required"] = _("Enter the customer name.")
        self.fields["name"].error_messages["max_length"] = _("The customer name can be at most 50 characters.")
        self.fields["tags"].widget.attrs["size"] = 4

    def service_data(self):
        data = super().service_data()
        data["confirm_duplicate"] = self.cleaned_data.get("confirm_duplicate", False)
        return data


class ContactForm(ScopedModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "birthday": forms.DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None:
            self.fields["customer"].queryset = Customer.objects.visible_to(self.user, "change")
        if self.instance.pk:
            self.fields["customer"].disabled = True


class FollowUpForm(ScopedModelForm):
    class Meta:
        model = FollowUp
        fields = [
            "customer",
            "contact",
            "channel",
            "happened_at",
            "place",
            "summary",
            "detail",
            "next_followup_at",
            "attachment",
        ]
        widgets = {
            "detail": forms.Textarea(attrs={"rows": 4}),
            "happened_at": forms.DateTimeInput(format="%Y-%m-%dT%H:%M"),
            "next_followup_at": forms.DateTimeInput(format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None:
            self.fields["customer"].queryset = Customer.objects.visible_to(self.user, "change")
        customer = _pk(
            self.data.get("customer") or self.initial.get("customer") or getattr(self.instance, "customer_id", None)
        )
        self.fields["contact"].queryset = Contact.objects.filter(customer_id=customer or 0)
        if self.instance.pk:
            self.fields["customer"].disabled = True

    # The follow-up rules are checked once, in FollowUpService; the edit view shows its errors per field.


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))


class TransferForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("New owner"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        empty_label=_("— choose —"),
        widget=forms.Select(attrs={"class": "form-select crm-assign-owner"}),
    )


class TagForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.all(), widget=forms.SelectMultiple(attrs={"class": "form-select"})
    )
    remove = forms.BooleanField(
        label=_("Remove these tags instead"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class MergeForm(forms.Form):
    other = forms.ModelChoiceField(
        label=_("Merge this customer into the current one"),
        queryset=Customer.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, user=None, exclude=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = Customer.objects.visible_to(user, "change").exclude(pk=exclude)
        restrict_choices(self.fields, user)  # the autocomplete, not every customer as an <option>


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("return", _("Return for changes"))], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=300, widget=forms.TextInput(attrs={"class": "form-control"})
    )
