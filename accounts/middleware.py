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
