"""Attachments in the API: upload checks, links to the checked download, and the download action.

Every FileField of a business model (core.files.is_attachment_field) gets, on the model's
ScopedModelViewSet, `GET /api/v1/<resource>/{id}/<field>/`: the record is read through the
viewset's scoped queryset (404 outside scope) and the file streamed by core.files.file_response.
"""

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

from ..files import FALLBACK_CONTENT_TYPE, SAFE_CONTENT_TYPES, file_response, file_url, is_attachment_field


class AttachmentField(serializers.FileField):
    """Reads back as the URL of the API download action, never the storage's /media/ URL."""

    def to_representation(self, value):
        if not value or getattr(value, "instance", None) is None:
            return None
        url = file_url(value.instance, value.field.name, api=True)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None and url else url


class _JSONErrorsOnly(BaseContentNegotiation):
    """A download answers with the file whatever the Accept header says (no 406); its errors as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return None


_FILE_TYPES = sorted({*SAFE_CONTENT_TYPES.values(), FALLBACK_CONTENT_TYPE})


def _download_action(model, name):
    def download(self, request, pk=None):
        return file_response(self.get_object(), name)

    download.__name__ = download.__qualname__ = f"download_{name}"
    download = action(
        detail=True,
        methods=["get"],
        url_path=name,
        url_name=name,
        renderer_classes=[JSONRenderer],
        content_negotiation_class=_JSONErrorsOnly,
    )(download)
    return extend_schema(
        summary=f"Download the {name} file",
        description=(
            f"Sends the file in the {model._meta.model_name}'s `{name}` field as a download "
            "(Content-Disposition: attachment, X-Content-Type-Options: nosniff). 404 when the record is "
            "outside the caller's data scope or has no file."
        ),
        request=None,
        responses={
            **{(200, content_type): OpenApiTypes.BINARY for content_type in _FILE_TYPES},
            (404, "application/json"): OpenApiResponse(description="Not found, or outside the caller's scope"),
        },
    )(download)


def file_actions(model):
    """{attribute: action} for each attachment field of `model` (added by ScopedModelViewSet)."""
    return {
        f"download_{f.name}": _download_action(model, f.name)
        for f in model._meta.get_fields()
        if isinstance(f, models.FileField) and is_attachment_field(model, f.name)
    }
