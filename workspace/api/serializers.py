from rest_framework import serializers

from ..models import Notification, Todo


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "level", "link", "channels", "created_at", "read_at"]
        read_only_fields = fields


class TodoSerializer(serializers.ModelSerializer):
    class Meta:
        model = Todo
        fields = [
            "id",
            "title",
            "note",
            "due_at",
            "remind_at",
            "done_at",
            "link",
            "created_at",
            "version",
        ]
        read_only_fields = ["done_at", "link", "created_at"]
        extra_kwargs = {"version": {"required": False, "read_only": False}}

    def validate(self, attrs):
        # `version` travels in request.data to the service; the reminder rule lives in Todo.clean().
        attrs.pop("version", None)
        return attrs
