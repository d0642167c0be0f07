"""Login events → audit entries. These record what happened; they hold no business rules."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from core import context
from core.audit import audit_log


def _ip(request):
    return context.ip_from_request(request) if request is not None else None


def _source(request):
    return "api" if request is not None and request.path.startswith("/api/") else "web"


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    with context.request_context(ip=_ip(request), source="web"):
        audit_log(actor=user, action="login", obj=user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        with context.request_context(ip=_ip(request), source="web"):
            audit_log(actor=user, action="logout", obj=user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    from django.contrib.auth import get_user_model

    username = (credentials or {}).get("username", "")[:150]
    user = get_user_model().objects.filter(username=username).first()
    with context.request_context(ip=_ip(request), source=_source(request)):
        audit_log(
            actor=None,
            action="login_failed",
            obj=user,
            object_repr=username,
            message="unknown user" if user is None else "",
        )


try:
    from axes.signals import user_locked_out
except ImportError:  # pragma: no cover
    user_locked_out = None

if user_locked_out is not None:

    @receiver(user_locked_out)
    def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
        with context.request_context(ip=ip_address or _ip(request), source=_source(request)):
            audit_log(
                actor=None,
                action="locked_out",
                object_repr=username or "",
                message="too many failed logins",
            )
