"""Audit entries written by services inside their own transaction (house rule 4)."""

import datetime
import decimal
import uuid

from django.apps import apps
from django.conf import settings
from django.db import models

from . import context

AUDIT_EXCLUDED_FIELDS = {"updated_at", "version", "password", "search_text"}


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if hasattr(value, "name"):  # files: no file is "" whether the name is None or empty
        return value.name or ""
    return str(value)


def snapshot(instance):
    """Field values of `instance` as JSON-friendly data, keyed by field name."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in AUDIT_EXCLUDED_FIELDS:
            continue
        if field.is_relation:
            data[field.name] = getattr(instance, field.attname)
        else:
            data[field.name] = _plain(getattr(instance, field.attname))
    return data


def diff(before, after):
    """{field: [old, new]} for fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def audit_model():
    """The audit entry model (settings.CRM_AUDIT_MODEL): stored by accounts, written by core."""
    return apps.get_model(settings.CRM_AUDIT_MODEL)


def audit_log(*, actor, action, obj=None, changes=None, message="", object_repr=None, model=None):
    from django.contrib.contenttypes.models import ContentType

    AuditEntry = audit_model()
    content_type = None
    if obj is not None:
        content_type = ContentType.objects.get_for_model(obj)
    elif model is not None:
        content_type = ContentType.objects.get_for_model(model)
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_repr=str(actor) if actor is not None and actor.is_authenticated else "",
        ip=context.client_ip(),
        source=context.source(),
        action=action,
        content_type=content_type,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:200],
        changes=changes or {},
        message=message[:1000],
    )


def audit_bulk(*, actor, action, objects, message=""):
    """One entry per object in a single INSERT (imports, bulk edits)."""
    from django.contrib.contenttypes.models import ContentType

    AuditEntry = audit_model()
    entries = []
    known = actor is not None and actor.is_authenticated
    for obj, changes in objects:
        entries.append(
            AuditEntry(
                actor=actor if known else None,
                actor_repr=str(actor) if known else "",
                ip=context.client_ip(),
                source=context.source(),
                action=action,
                content_type=ContentType.objects.get_for_model(obj),
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                changes=changes or {},
                message=message[:1000],
            )
        )
    from .bulk import fast_insert

    fast_insert(AuditEntry, entries)
