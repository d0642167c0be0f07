import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import CrmTable, LinkColumn

from .models import AuditEntry, Department, Role, User


class UserTable(CrmTable):
    username = LinkColumn(verbose_name=_("username"))
    role_names = tables.Column(verbose_name=_("roles"), orderable=False, accessor="role_names")

    class Meta(CrmTable.Meta):
        model = User
        fields = (
            "pk",
            "username",
            "name",
            "department",
            "position",
            "role_names",
            "language",
            "is_active",
            "last_login",
        )


class DepartmentTable(CrmTable):
    name = tables.Column(verbose_name=_("name"), order_by=("path",))

    class Meta(CrmTable.Meta):
        model = Department
        fields = ("pk", "name", "name_en", "code", "parent", "manager")

    def render_name(self, value, record):
        return format_html(
            '<span class="tree-indent-{}"></span><a href="{}">{}</a>',
            min(record.depth, 6),
            record.get_absolute_url(),
            value,
        )


class RoleTable(CrmTable):
    name = LinkColumn(verbose_name=_("name"))

    class Meta(CrmTable.Meta):
        model = Role
        fields = ("pk", "name", "name_en", "code", "data_scope", "description")


class AuditEntryTable(CrmTable):
    created_at = LinkColumn(verbose_name=_("time"))
    action = tables.Column(verbose_name=_("action"), accessor="action_label", order_by=("action",))

    class Meta(CrmTable.Meta):
        model = AuditEntry
        fields = (
            "created_at",
            "actor_repr",
            "ip",
            "source",
            "action",
            "content_type",
            "object_repr",
            "message",
        )
        exclude = ("pk",)
