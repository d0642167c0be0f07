import time

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation


class UserLanguageMiddleware:
    """The signed-in user's language wins over the browser's Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        if user is not None and user.is_authenticated and user.language:
            response.headers.setdefault("Content-Language", user.language)
        return response


class ForcePasswordChangeMiddleware:
    """After an admin reset, the user must set a new password before doing anything else."""

    ALLOWED = ("accounts:password_change", "accounts:logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse(n) for n in self.ALLOWED}
            if request.path not in allowed and not request.path.startswith(
                ("/static/", "/api/", "/healthz", "/readyz")
            ):
                return redirect("accounts:password_change")
        return self.get_response(request)


class SessionIdleMiddleware:
    """Idle timeout without a session write on every request.

    Django's SESSION_SAVE_EVERY_REQUEST rewrites the session row for every page, poll and API
    call (a write lock per request on SQLite). Here the expiry is pushed forward at most once
    a minute: the idle timeout stays SESSION_COOKIE_AGE, give or take that minute.
    """

    TOUCH_EVERY = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - session.get("_touched", 0) >= self.TOUCH_EVERY:
                session["_touched"] = now  # marks the session modified: saved with a new expiry
        return response
