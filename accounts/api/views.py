from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core import ratelimit
from core.api.viewsets import ScopedModelViewSet
from core.registry import get_config

from .. import services
from ..models import ApiToken, User
from .serializers import (
    ApiTokenSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)


# Per client IP first (one address trying many accounts), then per username (one account tried
# from many addresses; the count is shared with the web login form).
@method_decorator(ratelimit.limit("token_ip", key="ip"), name="post")
@method_decorator(ratelimit.limit("username", key=ratelimit.username_key), name="post")
class TokenObtainView(APIView):
    """Exchange username + password for an API token (rate-limited before any hashing).

    The token works until `expires_at` (the `api_token_days` system parameter, 90 days by
    default); a password change or an administrator's reset revokes every token of the user.
    """

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(request=TokenRequestSerializer, responses={201: TokenResponseSerializer}, auth=[])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise ValidationError({"non_field_errors": [_("This account is locked after too many failed logins.")]})
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": [_("Wrong username or password.")]})
        if user.must_change_password:
            # The password was set by an administrator: it must not buy a lasting token.
            raise ValidationError(
                {"non_field_errors": [_("Your password was reset. Log in to the web app and change it first.")]}
            )
        token, key = services.token_create(user=user, name=serializer.validated_data["name"])
        return Response(
            TokenResponseSerializer(
                {"token": key, "id": token.id, "name": token.name, "expires_at": token.expires_at}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own tokens; `POST .../{id}/revoke/` revokes one."""

    serializer_class = ApiTokenSerializer
    pagination_class = None
    queryset = ApiToken.objects.none()

    def get_queryset(self):
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.token_revoke(actor=request.user, token=self.get_object())
        return Response(ApiTokenSerializer(token).data)


class UserViewSet(ScopedModelViewSet):
    queryset = User.objects.none()
    serializer_class = UserSerializer

    @property
    def config(self):
        return get_config(User)

    def get_serializer_class(self):
        return UserSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.user_service.create(actor=self.request.user, data=data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        password = data.pop("password", None)
        if password:
            raise ValidationError({"password": [_("Use the password reset action to change a password.")]})
        serializer.instance = services.user_service.update(
            actor=self.request.user,
            instance=serializer.instance,
            data=data,
            version=self.request.data.get("version"),
        )

    @extend_schema(responses=UserSerializer)
    @action(detail=False, methods=["get"], permission_classes=[permissions.IsAuthenticated])
    def me(self, request):
        return Response(UserSerializer(request.user, context={"request": request}).data)
