from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    from core.models import Heartbeat

    checks, ok = {}, True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as e:  # the point is to report, not to crash
        checks["database"] = f"error: {e.__class__.__name__}"
        ok = False
    beat = None
    if checks["database"] == "ok":
        beat = Heartbeat.objects.filter(name="queue").values_list("beat_at", flat=True).first()
    if beat is None:
        checks["queue"] = "no heartbeat yet"
        ok = False
    else:
        age = (timezone.now() - beat).total_seconds()
        checks["queue"] = "ok" if age <= settings.CRM_HEARTBEAT_MAX_AGE else "stale"
        checks["queue_last_heartbeat"] = beat.isoformat()
        ok = ok and age <= settings.CRM_HEARTBEAT_MAX_AGE
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


def csrf_failure(request, reason=""):
    return render(
        request,
        "core/error.html",
        {
            "title": _("The form has expired"),
            "message": _(
                "Your session expired or the page was open too long, so the form was not saved. "
                "Go back, reload the page and submit again."
            ),
        },
        status=403,
    )


def ratelimited(request, exception=None):
    """RATELIMIT_VIEW: 429 with Retry-After (the seconds left in the window, when known)."""
    retry_after = getattr(exception, "retry_after", None) or 60
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"errors": {"non_field_errors": [_("Too many requests. Try again in a minute.")]}},
            status=429,
        )
    else:
        response = render(
            request,
            "core/error.html",
            {
                "title": _("Too many attempts"),
                "message": _("Too many requests. Try again in a minute."),
            },
            status=429,
        )
    response["Retry-After"] = str(int(retry_after))
    return response
