"""DRF base viewset: same scoped querysets and services as the web UI."""

from rest_framework import permissions, viewsets

ACTION_PERMS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


class CrmModelPermission(permissions.BasePermission):
    """Function permission for the action; object scope is enforced by the queryset (404)."""

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        action = view.perm_action()
        return user.has_perm(view.config.perm(action))


class ScopedModelViewSet(viewsets.ModelViewSet):
    config = None
    permission_classes = [permissions.IsAuthenticated, CrmModelPermission]
    extra_action_perms: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # GET /<resource>/{id}/<field>/ for each attachment of the model (core/api/files.py).
        # `config` may be a property on hand-written viewsets: then the model is the queryset's.
        model = getattr(cls.config, "model", None) or getattr(getattr(cls, "queryset", None), "model", None)
        if model is not None:
            from .files import file_actions

            for name, method in file_actions(model).items():
                if not hasattr(cls, name):
                    setattr(cls, name, method)
            from ..models import OwnedModel

            if issubclass(model, OwnedModel) and not hasattr(cls, "transfer"):
                from .transfer import transfer_action

                cls.transfer = transfer_action(model)
                cls.extra_action_perms = {**cls.extra_action_perms, "transfer": "transfer"}

    def perm_action(self):
        return self.extra_action_perms.get(self.action) or ACTION_PERMS.get(self.action, "view")

    @property
    def filterset_class(self):
        return self.config.filterset_class

    @property
    def ordering_fields(self):
        return getattr(self.config.filterset_class, "ordering_fields", None) or ["id"]

    def get_serializer_class(self):
        return self.config.serializer_class

    def get_queryset(self):
        return self.config.queryset(self.request.user, self.perm_action() if self.action != "create" else "view")

    def perform_create(self, serializer):
        serializer.instance = self.config.service.create(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = self.config.service.update(
            actor=self.request.user,
            instance=serializer.instance,
            data=dict(serializer.validated_data),
            version=self.request.data.get("version"),
        )

    def perform_destroy(self, instance):
        self.config.service.delete(
            actor=self.request.user,
            instance=instance,
            version=self.request.query_params.get("version"),
        )


class ReadOnlyScopedViewSet(ScopedModelViewSet):
    http_method_names = ["get", "head", "options"]


def viewset_for(config):
    base = ReadOnlyScopedViewSet if config.api_read_only else ScopedModelViewSet
    attrs = {"config": config, "queryset": config.model.objects.none()}
    if not config.api_read_only:
        # What the web UI does not offer (can_add / can_edit / can_delete) the API does not either: 405.
        methods = ["get", "head", "options"]
        methods += ["post"] if config.can_add else []
        methods += ["put", "patch"] if config.can_edit else []
        methods += ["delete"] if config.can_delete else []
        attrs["http_method_names"] = methods
    return type(f"{config.model.__name__}ViewSet", (base,), attrs)
