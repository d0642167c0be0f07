"""Attachments of business records: what may be uploaded, and how a stored file is sent back.

Every FileField of a `BusinessModel` is an attachment: forms (core.forms.ScopedModelForm) and API
serializers (core.api.serializers.CrmModelSerializer) check uploads with `validate_attachment`,
and the file is only ever read through `/core/files/<app_label>.<model>/<pk>/<field>/` (or the
API's `/<resource>/{id}/<field>/`), which loads the record through `visible_to(user, "view")`.
There is no public /media/ route on purpose: a file is exactly as private as its record.

Files are opened through the field's storage (Django's storage API, STORAGES["default"]), never
by path, so object storage can replace the file system without a change here.
"""

import posixpath
import re
import zipfile

from django import forms
from django.apps import apps
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.db import models
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _

DEFAULT_EXTENSIONS = "doc,docx,xls,xlsx,ppt,pptx,wps,et,pdf,txt,csv,png,jpg,jpeg,gif,webp,zip,rar,7z"
DEFAULT_MAX_MB = 20

# Never stored, whatever an administrator puts in the parameter: each is either rendered by a
# browser with the site's origin (markup, SVG, scripts) or runs on the downloader's machine.
BLOCKED_EXTENSIONS = frozenset(
    "htm html xhtml xht shtml mht mhtml svg svgz xml xsl xslt js mjs cjs jsx ts vbs vbe wsf wsh hta "
    "exe com scr msi msp dll cpl bat cmd ps1 psm1 sh bash jar class apk app dmg php phtml asp aspx jsp "
    "swf lnk reg pif inf".split()
)

SAFE_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "txt": "text/plain",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
    "7z": "application/x-7z-compressed",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"

HEAD_BYTES = 8192
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # doc/xls/ppt/wps/et, and password-protected docx/xlsx/pptx
ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
OOXML_MAX_ENTRIES = 5000  # reading a zip's directory costs memory per entry; real documents have < 500
TEXT_EXTENSIONS = frozenset({"txt", "csv"})

# What a browser sniffs as HTML (WHATWG MIME Sniffing, "identifying an unknown MIME type"), plus
# XML and SVG, which run script too. Checked on every upload, whatever its extension.
_MARKUP_TAGS = (
    "<!doctype html",
    "<html",
    "<head",
    "<script",
    "<iframe",
    "<h1",
    "<div",
    "<font",
    "<table",
    "<a",
    "<style",
    "<title",
    "<b",
    "<body",
    "<br",
    "<p",
    "<!--",
    "<svg",
    "<?xml",
    "<x:",
)


_EXTENSION_WORD = re.compile(r"[a-z0-9]{1,10}")


# --- settings (system parameters) ------------------------------------------------------------
def allowed_extensions():
    from .parameters import get_parameter

    raw = str(get_parameter("attachment_extensions", DEFAULT_EXTENSIONS) or "")
    for sep in "，,;；|":
        raw = raw.replace(sep, " ")
    names = (word.strip().lstrip(".").lower() for word in raw.split())
    # Only plain extension words: the list is shown in help texts and `accept` attributes.
    return list(dict.fromkeys(n for n in names if _EXTENSION_WORD.fullmatch(n) and n not in BLOCKED_EXTENSIONS))


def max_bytes():
    from .parameters import get_parameter

    try:
        megabytes = int(get_parameter("attachment_max_mb", DEFAULT_MAX_MB))
    except (TypeError, ValueError):
        megabytes = DEFAULT_MAX_MB
    return max(megabytes, 1) * 1024 * 1024


def extension(name):
    base = posixpath.basename(str(name or "").replace("\\", "/"))
    return base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""


# --- upload validation -----------------------------------------------------------------------
def _read_head(upload):
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head or b""


def _looks_like_markup(head):
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[2:].decode("utf-16-le" if head[:2] == b"\xff\xfe" else "utf-16-be", "ignore")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    text = text.lstrip(" \t\n\r\x0c").lower()
    for tag in _MARKUP_TAGS:
        if text.startswith(tag):
            following = text[len(tag) : len(tag) + 1]
            # "<b" is HTML only as a whole tag name ("<b>" / "<b "), as browsers sniff it.
            if tag in ("<!--", "<?xml", "<x:") or following in ("", " ", ">", "\t", "\n", "\r", "/"):
                return True
    return False


def _looks_like_program(head):
    if head.startswith((b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf")):
        return True
    if head.startswith((b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")):
        return True
    if head.startswith(b"MZ") and len(head) >= 64:
        offset = int.from_bytes(head[60:64], "little")
        return head[offset : offset + 4] == b"PE\x00\x00"
    return False


def _zip_entry_count(upload):
    """Entries declared by the zip's end-of-central-directory record (None: not found)."""
    upload.seek(0, 2)
    size = upload.tell()
    tail_size = min(size, 65557)
    upload.seek(size - tail_size)
    tail = upload.read(tail_size)
    upload.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 12 > len(tail):
        return None
    return int.from_bytes(tail[at + 10 : at + 12], "little")


def _is_ooxml(upload, ext):
    entries = _zip_entry_count(upload)
    if entries is None or entries == 0 or entries > OOXML_MAX_ENTRIES:
        return False
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except Exception:  # zipfile raises many types (NotImplementedError, struct.error...) on damaged input
        return False
    finally:
        upload.seek(0)
    folder = OOXML_FOLDERS.get(ext)
    return "[Content_Types].xml" in names and (folder is None or any(n.startswith(folder) for n in names))


def _is_text(head):
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with its byte-order mark (Excel's "Unicode text")
    return b"\x00" not in head


def _content_matches(upload, ext, head):
    if ext == "pdf":
        return b"%PDF-" in head[:1024]
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if ext == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ext == "zip":
        return head.startswith(ZIP_STARTS)
    if ext == "rar":
        return head.startswith((b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00"))
    if ext == "7z":
        return head.startswith(b"7z\xbc\xaf\x27\x1c")
    if ext in ("doc", "xls", "ppt"):
        return head.startswith(OLE2)
    if ext in ("docx", "xlsx", "pptx", "wps", "et", "dps"):
        return head.startswith(OLE2) or (head.startswith(b"PK\x03\x04") and _is_ooxml(upload, ext))
    if ext in TEXT_EXTENSIONS:
        return _is_text(head)
    return True  # a type an administrator added: the markup and program checks still apply


def validate_attachment(upload):
    """Django validator for an uploaded attachment: type allowed by name and by content, size."""
    if upload is None or not hasattr(upload, "read"):
        return
    allowed = allowed_extensions()
    listed = ", ".join(allowed)
    ext = extension(getattr(upload, "name", ""))[:20]
    if not ext:
        raise ValidationError(
            _("The file name has no extension. Allowed types: %(allowed)s.") % {"allowed": listed},
            code="no_extension",
        )
    if ext not in allowed:
        raise ValidationError(
            _("Files of type .%(ext)s cannot be attached. Allowed types: %(allowed)s.")
            % {"ext": ext, "allowed": listed},
            code="file_type",
        )
    size = getattr(upload, "size", None) or 0
    limit = max_bytes()
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; an attachment can be at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="file_size",
        )
    head = _read_head(upload)
    if _looks_like_markup(head) or _looks_like_program(head):
        raise ValidationError(
            _("The file is named .%(ext)s but contains a web page, script or program, which cannot be attached.")
            % {"ext": ext},
            code="file_content",
        )
    if not _content_matches(upload, ext, head):
        raise ValidationError(
            _("The file is named .%(ext)s but its content is not a .%(ext)s file.") % {"ext": ext},
            code="file_content",
        )


def accept_attribute():
    """The file input's `accept`: the browser's picker offers the allowed types first."""
    return ",".join(f".{ext}" for ext in allowed_extensions())


def help_text():
    return escape(
        _("Allowed: %(allowed)s; at most %(limit)s.")
        % {"allowed": ", ".join(allowed_extensions()), "limit": filesizeformat(max_bytes())}
    )


class _StoredFile:
    """A stored file as the file input shows it: its name, linked to the checked download."""

    def __init__(self, value):
        self.name = value.name
        self.url = file_url(value.instance, value.field.name)

    def __str__(self):
        return file_name(self.name)


class AttachmentInput(forms.ClearableFileInput):
    """ClearableFileInput whose "Currently: …" link goes through the download view, not /media/."""

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None) and getattr(value, "instance", None) is not None)

    def format_value(self, value):
        if isinstance(value, _StoredFile):
            return value
        return _StoredFile(value) if self.is_initial(value) else None


def prepare_form(form):
    """Attachment rules on every file field of a business-model form (ScopedModelForm calls it)."""
    model = form._meta.model
    for name, field in form.fields.items():
        if not isinstance(field, forms.FileField) or not is_attachment_field(model, name):
            continue
        if validate_attachment not in field.validators:
            field.validators.append(validate_attachment)
        attrs = {**field.widget.attrs, "accept": accept_attribute()}
        field.widget = AttachmentInput(attrs=attrs)
        field.widget.is_required = field.required
        field.help_text = field.help_text or help_text()


# --- which files are served --------------------------------------------------------------------
def is_attachment_field(model, name):
    """True for a FileField of a business model (SystemParameter images have their own rules)."""
    from .models import BusinessModel

    if not (isinstance(model, type) and issubclass(model, BusinessModel)):
        return False
    try:
        field = model._meta.get_field(name)
    except Exception:
        return False
    return isinstance(field, models.FileField)


def file_name(value):
    """The name shown and sent for a stored file: its last path part."""
    return posixpath.basename(str(getattr(value, "name", value) or ""))


def file_url(obj, field_name, *, api=False):
    """The URL that sends `obj.<field_name>` after checking the viewer's scope ("" if none).

    `api=True`: the REST route (`/api/v1/<resource>/{id}/<field>/`, token or session), falling
    back to the web route for models without an API endpoint."""
    if obj is None or not getattr(obj, field_name, None) or obj.pk is None:
        return ""
    if api:
        from .registry import get_config

        try:
            config = get_config(type(obj))
            return reverse(f"{config.label.replace('.', '-')}-{field_name}", kwargs={"pk": obj.pk})
        except (KeyError, NoReverseMatch):
            pass
    return reverse("core:file", kwargs={"model": obj._meta.label_lower, "pk": obj.pk, "field": field_name})


def file_link(obj, field_name):
    """`<a download>` to the checked download of obj.<field_name>, or "" (detail pages)."""
    url = file_url(obj, field_name)
    if not url:
        return ""
    return format_html(
        '<a href="{}" download><i class="ti ti-paperclip me-1"></i>{}</a>', url, file_name(getattr(obj, field_name))
    )


# --- download ----------------------------------------------------------------------------------
MAX_PK = 2**63 - 1


def served_object(user, model_label, pk, field_name):
    """The record whose file `user` may download, or Http404 (unknown model/field, outside scope)."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise Http404 from None
    if not is_attachment_field(model, field_name) or not 0 < int(pk) <= MAX_PK:
        raise Http404
    queryset = model.objects.visible_to(user, "view").only("pk", field_name)
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def file_response(obj, field_name):
    """Stream the stored file as a download that no browser renders in the site's origin."""
    value = getattr(obj, field_name, None)
    if not value:
        raise Http404
    try:
        handle = value.storage.open(value.name, "rb")
    except (OSError, SuspiciousFileOperation, ValueError):
        raise Http404 from None  # row points at a file the storage no longer has
    name = file_name(value)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=SAFE_CONTENT_TYPES.get(extension(name), FALLBACK_CONTENT_TYPE),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Should a browser still render it (an old upload, a plugin): no script, no origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
