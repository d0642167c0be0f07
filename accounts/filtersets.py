import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import BaseFilterSet

from .models import AuditEntry, Department, Position, Role, User


class UserFilterSet(BaseFilterSet):
    search_fields = ("username", "name", "email", "phone")
    ordering_fields = ["username", "name", "date_joined", "last_login"]

    class Meta:
        model = User
        fields = ["department", "position", "roles", "is_active", "language"]


class DepartmentFilterSet(BaseFilterSet):
    search_fields = ("name", "name_en", "code")
    ordering_fields = ["name", "code", "path"]

    class Meta:
        model = Department
        fields = ["parent"]


class PositionFilterSet(BaseFilterSet):
    search_fields = ("name", "name_en", "code")
    ordering_fields = ["name", "code"]

    class Meta:
        model = Position
        fields = []


class RoleFilterSet(BaseFilterSet):
    search_fields = ("name", "name_en", "code")
    ordering_fields = ["name", "code", "data_scope"]

    class Meta:
        model = Role
        fields = ["data_scope"]


class AuditEntryFilterSet(BaseFilterSet):
    search_fields = ("object_repr", "actor_repr", "message")
    ordering_fields = ["created_at"]
    action = django_filters.ChoiceFilter(choices=AuditEntry.Action.choices, label=_("action"))
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("from"))
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("to"))
    object_type = django_filters.CharFilter(method="filter_object_type", label=_("object type"))

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "ip", "object_id"]

    def filter_object_type(self, queryset, name, value):
        if "." in value:
            app, model = value.split(".", 1)
            return queryset.filter(content_type__app_label=app, content_type__model=model)
        return queryset.filter(content_type__model=value)
