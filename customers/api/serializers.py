from rest_framework import serializers

from core.api.serializers import CrmModelSerializer, IdField, IdListField

from ..forms import CONTACT_FIELDS, CUSTOMER_FIELDS
from ..models import Contact, Customer, FollowUp, OwnerHistory


class CustomerSerializer(CrmModelSerializer):
    confirm_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Save although a duplicate exists (needs the save_duplicate permission).",
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            *CUSTOMER_FIELDS,
            "owner",
            "department",
            "in_pool",
            "last_followup_at",
            "next_followup_at",
            "review_status",
            "created_at",
            "updated_at",
            "version",
            "confirm_duplicate",
        ]
        read_only_fields = [
            "code",
            "owner",
            "department",
            "in_pool",
            "last_followup_at",
            "next_followup_at",
            "review_status",
            "created_at",
            "updated_at",
        ]


class PoolCustomerSerializer(serializers.ModelSerializer):
    """Pool rows: contact details masked until claimed."""

    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "name",
            "level",
            "industry",
            "province",
            "city",
            "phone",
            "email",
            "pool_entered_at",
            "pool_reason",
        ]

    def get_phone(self, obj) -> str:
        from ..tables import mask_phone

        return mask_phone(obj.phone or obj.mobile)

    def get_email(self, obj) -> str:
        from ..tables import mask_email

        return mask_email(obj.email)


class ContactSerializer(CrmModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", *CONTACT_FIELDS, "version"]


class FollowUpSerializer(CrmModelSerializer):
    class Meta:
        model = FollowUp
        fields = [
            "id",
            "customer",
            "contact",
            "channel",
            "happened_at",
            "place",
            "summary",
            "detail",
            "next_followup_at",
            "attachment",
            "created_by",
            "created_at",
            "version",
        ]
        read_only_fields = ["created_by", "created_at"]
        # attachment: multipart upload, checked by core.files.validate_attachment; read back as the
        # URL of GET /api/v1/followups/{id}/attachment/ (scope-checked), never a /media/ path.

    # Follow-up rules (next date after this one, contact of the same customer) live in
    # FollowUpService, so web and API give the same, translated messages.


class OwnerHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = OwnerHistory
        fields = ["id", "action", "from_owner", "to_owner", "actor", "reason", "created_at"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class AssignSerializer(serializers.Serializer):
    owner = IdField()


class TransferSerializer(serializers.Serializer):
    customers = IdListField(min_length=1, max_length=1000)
    owner = IdField()
    reason = serializers.CharField(max_length=200)


class TagActionSerializer(serializers.Serializer):
    customers = IdListField(min_length=1, max_length=1000)
    tags = IdListField(min_length=1, max_length=100)
    remove = serializers.BooleanField(default=False)


class MergeSerializer(serializers.Serializer):
    other = IdField(help_text="Customer merged into this one (then deleted)")


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DuplicateSerializer(serializers.Serializer):
    visible = serializers.ListField(child=serializers.DictField())
    hidden = serializers.ListField(child=serializers.DictField())
