from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from ..models import ApiToken


class MustChangePassword(exceptions.PermissionDenied):
    default_detail = _("You must change your password before using the API.")
    default_code = "password_change_required"


def refuse_if_must_change_password(user):
    """A user whose password was reset by an administrator may not use the API (with a token
    from before the reset, or a session) until they have chosen a new one: 403."""
    if user is not None and user.is_authenticated and user.must_change_password:
        raise MustChangePassword()


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; looked up by SHA-256, no password hashing per request.

    First of DEFAULT_AUTHENTICATION_CLASSES, so it sees every API request: it also refuses a
    session (the next class, SessionAuthentication) whose user must change their password.
    """

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"token", b"bearer"):
            # Django's session user, as SessionAuthentication will read it (cached on the request).
            refuse_if_must_change_password(getattr(request._request, "user", None))
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        key = header[1].decode(errors="ignore")
        token = ApiToken.find(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This API token expired on %(date)s. Create a new one in your profile.")
                % {"date": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")}
            )
        refuse_if_must_change_password(token.user)  # before last_used_at: a refused call changes nothing
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <key>",
        }
