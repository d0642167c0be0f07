from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import services
from ..models import Notification, Todo
from .serializers import NotificationSerializer, TodoSerializer


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's notifications (newest first). `?unread=1` for unread only."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):
        qs = Notification.objects.visible_to(self.request.user)
        if self.request.query_params.get("unread") == "1":
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"], url_path="mark-read")
    def mark_read(self, request, pk=None):
        notification = self.get_object()
        services.notification_mark_read(user=request.user, notifications=[notification])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses={200: {"type": "object", "properties": {"marked": {"type": "integer"}}}},
    )
    @action(detail=False, methods=["post"], url_path="mark-all-read")
    def mark_all_read(self, request):
        return Response({"marked": services.notification_mark_read(user=request.user)})


class TodoViewSet(viewsets.ModelViewSet):
    """The caller's to-dos. `POST .../{id}/complete/` marks one done (or `{"done": false}` reopens)."""

    serializer_class = TodoSerializer
    queryset = Todo.objects.none()

    def get_queryset(self):
        qs = Todo.objects.visible_to(self.request.user)
        if self.request.query_params.get("open") == "1":
            qs = qs.filter(done_at__isnull=True)
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.todo_create(
            actor=self.request.user, owner=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.todo_update(
            actor=self.request.user,
            todo=serializer.instance,
            data=serializer.validated_data,
            version=self.request.data.get("version"),
        )

    def perform_destroy(self, instance):
        from core.services import object_delete

        object_delete(actor=self.request.user, instance=instance)

    @extend_schema(request=None, responses=TodoSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        todo = services.todo_complete(
            actor=request.user,
            todo=self.get_object(),
            done=request.data.get("done", True) not in (False, "false", "0"),
            version=request.data.get("version"),
        )
        return Response(TodoSerializer(todo).data)
