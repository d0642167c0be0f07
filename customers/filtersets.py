import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import Department
from basedata.models import DictItem, Region
from core.bounds import parse_id
from core.filtersets import BaseFilterSet

from .forms import region_cascade
from .models import Contact, Customer, FollowUp, Tag
from .search import search_customers
from .selectors import no_followup_since

# The empty option of the filter selects: the placeholder the region selects of this filter bar
# (and the customer form) already show, instead of django-filter's "---------".
CHOOSE = _("— choose —")


def _id(value):
    return parse_id(value)  # None for "abc" or 99…9 (the field then shows its error)


def _region_choices(*, parent, level, selected):
    """Options of a dependent region select: the children of `parent`, as basedata's
    region_options endpoint returns them when the parent changes."""
    choices = [("", CHOOSE)]
    if parent is not None:
        regions = Region.objects.filter(parent_id=parent, enabled=True).order_by("order", "code")
    elif selected is not None:
        regions = Region.objects.filter(pk=selected, level=level)
    else:
        return choices
    return choices + [(r.pk, str(r)) for r in regions]


def dict_filter(type_code, label):
    return django_filters.ModelChoiceFilter(
        queryset=DictItem.objects.filter(type__code=type_code, enabled=True), label=label, empty_label=CHOOSE
    )


class CustomerFilterSet(BaseFilterSet):
    ordering_fields = ["created_at", "updated_at", "name", "code", "last_followup_at"]
    customer_type = dict_filter("customer_type", _("customer type"))
    level = dict_filter("customer_level", _("level"))
    status = dict_filter("customer_status", _("status"))
    source = dict_filter("customer_source", _("source"))
    industry = dict_filter("industry", _("industry"))
    credit_rating = dict_filter("credit_rating", _("credit rating"))
    ownership = dict_filter("ownership", _("ownership"))
    scale = dict_filter("company_scale", _("company size"))
    province = django_filters.ModelChoiceFilter(
        queryset=Region.objects.filter(level=1), label=_("province"), empty_label=CHOOSE
    )
    # Still plain ids (the API's `city` / `district` parameters are unchanged); the filter bar
    # shows them as selects filled from the chosen province / city, like the customer form.
    city = django_filters.NumberFilter(field_name="city_id", label=_("city"), widget=forms.Select)
    district = django_filters.NumberFilter(field_name="district_id", label=_("district"), widget=forms.Select)
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(is_active=True), label=_("owner"), empty_label=CHOOSE
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), label=_("department"), empty_label=CHOOSE
    )
    tags = django_filters.ModelMultipleChoiceFilter(queryset=Tag.objects.all(), label=_("tags"))
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("created from"))
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("created to"))
    updated_after = django_filters.DateFilter(field_name="updated_at", lookup_expr="date__gte", label=_("updated from"))
    followup_after = django_filters.DateFilter(
        field_name="last_followup_at", lookup_expr="date__gte", label=_("followed up from")
    )
    followup_before = django_filters.DateFilter(
        field_name="last_followup_at", lookup_expr="date__lte", label=_("followed up to")
    )
    # A day count past a century is no filter a person means; timedelta() refuses ~2.7 million years.
    no_followup_days = django_filters.NumberFilter(
        method="filter_no_followup", label=_("no follow-up for days"), min_value=0, max_value=36500
    )
    review_status = django_filters.ChoiceFilter(choices=Customer.Review.choices, label=_("review"), empty_label=CHOOSE)

    class Meta:
        model = Customer
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        data = self.data or {}
        province, city, district = (_id(data.get(k)) for k in ("province", "city", "district"))
        # Cities of the chosen province, districts of the chosen city (no query when none is
        # chosen). A city or district given without its parent (an old link, the API) is kept.
        fields["city"].widget.choices = _region_choices(parent=province, level=2, selected=city)
        fields["district"].widget.choices = _region_choices(parent=city, level=3, selected=district)
        fields["province"].widget.attrs.update(region_cascade("#id_city"))
        fields["city"].widget.attrs.update(region_cascade("#id_district"))

    def filter_q(self, queryset, name, value):
        return search_customers(queryset, value)

    def filter_no_followup(self, queryset, name, value):
        return no_followup_since(queryset, int(value)) if value is not None and value >= 0 else queryset


def customer_filter():
    # A search box over the viewer's own customers (core AutocompleteSelect); `?customer=<id>`
    # as before, refused as a field error when the customer is outside the viewer's scope.
    return django_filters.ModelChoiceFilter(queryset=Customer.objects.all(), label=_("customer"), empty_label=CHOOSE)


class ContactFilterSet(BaseFilterSet):
    search_fields = ("name", "mobile", "email", "office_phone", "customer__name")
    ordering_fields = ["name", "created_at"]
    customer = customer_filter()
    # Declared: the generated filter offered "Unknown" (the empty value, so it filtered nothing)
    # under Django's "---------" placeholder.
    gender = django_filters.ChoiceFilter(
        choices=[(value, label) for value, label in Contact.Gender.choices if value], empty_label=CHOOSE
    )

    class Meta:
        model = Contact
        fields = ["is_primary", "gender"]


class FollowUpFilterSet(BaseFilterSet):
    search_fields = ("summary", "detail", "customer__name")
    ordering_fields = ["happened_at", "created_at"]
    customer = customer_filter()
    channel = dict_filter("followup_channel", _("channel"))
    happened_after = django_filters.DateFilter(field_name="happened_at", lookup_expr="date__gte", label=_("from"))
    happened_before = django_filters.DateFilter(field_name="happened_at", lookup_expr="date__lte", label=_("to"))

    class Meta:
        model = FollowUp
        fields = []


class TagFilterSet(BaseFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Tag
        fields = ["color"]
