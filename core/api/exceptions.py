"""API errors in one shape: {"errors": {field: [messages]}}; 409 for version conflicts."""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from ..exceptions import VersionConflict


def _django_errors(error):
    if hasattr(error, "error_dict"):
        # Django's "__all__" (a model's clean() or a multi-field constraint) is DRF's "non_field_errors".
        return {
            ("non_field_errors" if k == NON_FIELD_ERRORS else k): [m for e in v for m in e.messages]
            for k, v in error.error_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    if isinstance(exc, VersionConflict):
        return Response({"errors": {"version": exc.messages}}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(data, list):
            data = {"non_field_errors": data}
        response.data = {"errors": data}
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        response.data = {"errors": {"detail": [str(detail)]}}
    return response
