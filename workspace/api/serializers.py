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
        attrs.pop("version", None)
        if attrs.get("remind_at") and attrs.get("due_at") and attrs["remind_at"] > attrs["due_at"]:
            raise serializers.ValidationError({"remind_at": ["The reminder must come before the due time."]})
        return attrs
