from django.utils.translation import gettext_lazy as _

from core.navigation import register_group
from core.registry import ModelConfig, register

from .api.serializers import AuditEntrySerializer, RoleSerializer, UserSerializer
from .filtersets import (
    AuditEntryFilterSet,
    DepartmentFilterSet,
    PositionFilterSet,
    RoleFilterSet,
    UserFilterSet,
)
from .forms import RoleForm, UserForm
from .models import AuditEntry, Department, Position, Role, User
from .services import department_service, user_service
from .tables import AuditEntryTable, DepartmentTable, RoleTable, UserTable

register_group("system", _("System"), "ti ti-settings", 90)

register(
    ModelConfig(
        model=User,
        url_base="users",
        list_fields=["username", "name", "department", "position", "is_active"],
        form=UserForm,
        form_fields=UserForm.Meta.fields,
        detail_fields=[
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
            "must_change_password",
            "last_login",
            "date_joined",
        ],
        export_fields=[
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
            "last_login",
        ],
        import_fields=["username", "name", "email", "phone", "department", "position", "language"],
        import_key="username",
        bulk_edit_fields=["department", "position", "manager", "language", "is_active"],
        search_fields=["username", "name", "phone", "email"],
        filterset=UserFilterSet,
        table=UserTable,
        serializer=UserSerializer,
        service=user_service,
        select_related=["department", "position", "manager"],  # manager: export column
        prefetch_related=["roles"],
        ordering=["username"],
        menu_group="system",
        menu_icon="ti ti-users",
        menu_order=10,
        detail_template="accounts/user_detail.html",
        saved_views={
            "active": (_("Active"), lambda qs, user: qs.filter(is_active=True)),
            "inactive": (_("Deactivated"), lambda qs, user: qs.filter(is_active=False)),
            "my_department": (
                _("My department"),
                lambda qs, user: qs.filter(department_id=user.department_id),
            ),
        },
    )
)
register(
    ModelConfig(
        model=Department,
        url_base="departments",
        list_fields=["name", "name_en", "code", "parent", "manager"],
        form_fields=["name", "name_en", "code", "parent", "manager", "order"],
        detail_fields=[
            "name",
            "name_en",
            "code",
            "parent",
            "manager",
            "order",
            "created_at",
            "updated_at",
        ],
        import_fields=["name", "name_en", "code", "parent", "order"],
        import_key="code",
        search_fields=["name", "name_en", "code"],
        filterset=DepartmentFilterSet,
        table=DepartmentTable,
        service=department_service,
        api_fields=["id", "name", "name_en", "code", "parent", "path", "manager", "order"],
        select_related=["parent", "manager"],
        ordering=["path"],
        menu_group="system",
        menu_icon="ti ti-sitemap",
        menu_order=20,
    )
)
register(
    ModelConfig(
        model=Position,
        url_base="positions",
        list_fields=["name", "name_en", "code", "description"],
        form_fields=["name", "name_en", "code", "description"],
        detail_fields=["name", "name_en", "code", "description", "created_at"],
        import_fields=["name", "name_en", "code", "description"],
        import_key="code",
        filterset=PositionFilterSet,
        ordering=["code"],
        menu_group="system",
        menu_icon="ti ti-id-badge",
        menu_order=30,
    )
)
register(
    ModelConfig(
        model=Role,
        url_base="roles",
        list_fields=["name", "name_en", "code", "data_scope"],
        form=RoleForm,
        form_fields=RoleForm.Meta.fields,
        detail_fields=["name", "name_en", "code", "description", "data_scope"],
        filterset=RoleFilterSet,
        table=RoleTable,
        serializer=RoleSerializer,
        prefetch_related=["permissions"],  # the API lists codenames per role
        ordering=["code"],
        menu_group="system",
        menu_icon="ti ti-shield-lock",
        menu_order=40,
        detail_template="accounts/role_detail.html",
    )
)
register(
    ModelConfig(
        model=AuditEntry,
        url_base="audit-log",
        list_fields=["created_at", "actor_repr", "ip", "action", "object_repr"],
        detail_fields=[
            "created_at",
            "actor_repr",
            "ip",
            "source",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "message",
        ],
        export_fields=[
            "created_at",
            "actor_repr",
            "ip",
            "source",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "changes",
            "message",
        ],
        filterset=AuditEntryFilterSet,
        table=AuditEntryTable,
        serializer=AuditEntrySerializer,
        api_read_only=True,
        select_related=["content_type"],
        ordering=["-created_at", "-id"],
        can_add=False,
        can_edit=False,
        can_delete=False,
        menu_group="system",
        menu_icon="ti ti-history",
        menu_order=80,
        detail_template="accounts/auditentry_detail.html",
    )
)
