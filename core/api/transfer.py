"""`POST /api/v1/<resource>/{id}/transfer/` for every owned model: the one API door for an owner
change (generic edits refuse owner and department, core.services._refuse_owner_change)."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ..services import owner_transfer


class TransferSerializer(serializers.Serializer):
    owner = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The new owner's user id.")
    reason = serializers.CharField(max_length=200)

    def validate_owner(self, value):
        user = get_user_model().objects.filter(pk=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError("No active user has this id.")
        return user


def transfer_action(model):
    @extend_schema(
        summary=f"Transfer the {model._meta.model_name} to another owner",
        description="Needs the transfer permission within your data scope; the department follows the new "
        "owner, the change is audited and the new owner notified. 404 outside your scope.",
        request=TransferSerializer,
        responses={200: None},
    )
    @action(detail=True, methods=["post"], url_path="transfer", url_name="transfer")
    def transfer(self, request, pk=None):
        instance = self.get_object()
        data = TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner_transfer(
            actor=request.user,
            instance=instance,
            new_owner=data.validated_data["owner"],
            reason=data.validated_data["reason"],
        )
        instance.refresh_from_db()
        return Response(self.get_serializer(instance).data)

    return transfer
