from django.contrib.auth import password_validation
from django.contrib.auth.models import Permission
from rest_framework import serializers

from core.api.serializers import CrmModelSerializer

from ..forms import CRM_APPS
from ..models import ApiToken, AuditEntry, Role, User


class UserSerializer(CrmModelSerializer):
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})

    class Meta:
        model = User
        fields = [
            "id",
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
            "date_joined",
            "password",
            "version",
        ]
        read_only_fields = ["last_login", "date_joined"]

    def validate_password(self, value):
        password_validation.validate_password(value, User(username=self.initial_data.get("username", "")))
        return value


class RoleSerializer(CrmModelSerializer):
    permissions = serializers.SlugRelatedField(
        many=True,
        required=False,
        slug_field="codename",
        # The same permissions the role form offers: the CRM's own, not Django's internals.
        queryset=Permission.objects.filter(content_type__app_label__in=CRM_APPS),
        help_text="Permission codenames, e.g. view_department",
    )

    class Meta:
        model = Role
        fields = [
            "id",
            "name",
            "name_en",
            "code",
            "description",
            "data_scope",
            "permissions",
            "version",
        ]


class AuditEntrySerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_repr",
            "ip",
            "source",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "changes",
            "message",
        ]

    def get_content_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}" if obj.content_type_id else ""


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    name = serializers.CharField(required=False, default="API", max_length=60)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    id = serializers.IntegerField()
    name = serializers.CharField()
    expires_at = serializers.DateTimeField(
        help_text="When the token stops working (the api_token_days system parameter, 90 by default); "
        "a password change or reset revokes it earlier."
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
        read_only_fields = fields
