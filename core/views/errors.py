"""403 / 404 / 500 pages: inside the shell (menu, search, language) for a signed-in user, in
their language, with a way back; API paths answer in the API's error shape."""

from django.http import JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from rest_framework import exceptions


def _api(request):
    return request.path.startswith("/api/")


def _page(request, status, title, message):
    user = getattr(request, "user", None)
    template = "core/error_page.html" if user is not None and user.is_authenticated else "core/error.html"
    return render(request, template, {"title": title, "message": message, "status": status}, status=status)


def page_not_found(request, exception=None):
    if _api(request):
        return JsonResponse({"errors": {"detail": [str(exceptions.NotFound.default_detail)]}}, status=404)
    return _page(
        request,
        404,
        _("Page not found"),
        _("The page does not exist, or the record is not in your data scope."),
    )


def permission_denied(request, exception=None):
    if _api(request):
        return JsonResponse({"errors": {"detail": [str(exceptions.PermissionDenied.default_detail)]}}, status=403)
    return _page(
        request,
        403,
        _("No permission"),
        _("Your role does not allow this. Ask your administrator if you need it."),
    )


def server_error(request):
    """No request context: the failure may be the database, which the shell reads."""
    if _api(request):
        return JsonResponse({"errors": {"detail": [_("A server error occurred.")]}}, status=500)
    from django.http import HttpResponseServerError

    body = loader.get_template("core/error_500.html").render(
        {"title": _("Something went wrong"), "message": _("The error was logged. Try again, or go back.")}
    )
    return HttpResponseServerError(body)
