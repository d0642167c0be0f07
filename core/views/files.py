"""Attachment downloads: the record is loaded in the viewer's scope, then the file is streamed."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_safe

from .. import files


@login_required
@require_safe
def download(request, model, pk, field):
    obj = files.served_object(request.user, model, pk, field)
    return files.file_response(obj, field)
