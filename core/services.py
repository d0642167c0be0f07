"""Generic write services used by declared CRUD; entity services wrap or replace them.

Every function is atomic and writes its audit entry in the same transaction.
"""

import contextlib
import contextvars
import functools

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_log, diff, snapshot
from .exceptions import VersionConflict


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True


def _apply(instance, data):
    m2m = {}
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            m2m[name] = value
        elif isinstance(field, models.FileField):
            # Form semantics: None keeps the stored file, False clears it.
            field.save_form_data(instance, value)
        else:
            setattr(instance, name, value)
    return m2m


def _owned_defaults(instance, actor, given=()):
    # An owner given as None is a decision (created into the pool), not a blank to fill in.
    if _has_field(type(instance), "owner") and instance.owner_id is None and actor is not None and "owner" not in given:
        instance.owner = actor
    if _has_field(type(instance), "department") and getattr(instance, "department_id", None) is None:
        owner = getattr(instance, "owner", None)
        if owner is not None and getattr(owner, "department_id", None):
            instance.department_id = owner.department_id


@transaction.atomic
def object_create(*, actor, model, data, audit_action="create"):
    instance = model()
    m2m = _apply(instance, data)
    if _has_field(model, "created_by") and actor is not None and actor.is_authenticated:
        instance.created_by = actor
    _owned_defaults(instance, actor, given=data)
    instance.full_clean()
    instance.save()
    for name, value in m2m.items():
        getattr(instance, name).set(value)
    # Every value given (False and 0 included: "created disabled" matters); empty ones left out.
    changes = {k: [None, v] for k, v in snapshot(instance).items() if v is not None and v != ""}
    for name, value in m2m.items():
        changes[name] = [None, [str(v) for v in value]]
    audit_log(actor=actor, action=audit_action, obj=instance, changes=changes)
    return instance


def lock_version(instance, version):
    """Bump the version if it still equals `version`; raise VersionConflict otherwise.

    A single UPDATE ... WHERE version = %s makes the check race-free on both databases.
    """
    if not _has_field(type(instance), "version"):
        return
    if version is None or version == "":
        version = instance.version
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("The version must be a whole number.")}, code="invalid") from None
    updated = (
        type(instance)._base_manager.filter(pk=instance.pk, version=version).update(version=models.F("version") + 1)
    )
    if not updated:
        raise VersionConflict()
    instance.version = version + 1


_owner_change = contextvars.ContextVar("crm_owner_change", default=False)


@contextlib.contextmanager
def changing_owner():
    """The one door for an owned record's owner and department: transfer, claim, assign,
    release. Inside it, object_update may change them."""
    token = _owner_change.set(True)
    try:
        yield
    finally:
        _owner_change.reset(token)


def _refuse_owner_change(instance, data):
    """A form, serializer or import row carrying an owner would be an unchecked transfer (no
    transfer permission, no history, department not derived): refused outside changing_owner()."""
    from .models import OwnedModel

    if _owner_change.get() or not isinstance(instance, OwnedModel):
        return
    errors = {}
    for name in ("owner", "department"):
        if name in data:
            new = data[name]
            new_id = getattr(new, "pk", new)
            if new_id != getattr(instance, f"{name}_id"):
                errors[name] = _("The owner and department change only through a transfer.")
    if errors:
        raise ValidationError(errors, code="owner_change")


@transaction.atomic
def object_update(*, actor, instance, data, version=None, audit_action="update"):
    _refuse_owner_change(instance, data)
    before = snapshot(instance)
    m2m_before = {
        name: sorted(str(v) for v in getattr(instance, name).all())
        for name in data
        if instance._meta.get_field(name).many_to_many
    }
    lock_version(instance, version)
    m2m = _apply(instance, data)
    instance.full_clean()
    instance.save()
    changes = diff(before, snapshot(instance))
    for name, value in m2m.items():
        getattr(instance, name).set(value)
        after = sorted(str(v) for v in value)
        if after != m2m_before[name]:
            changes[name] = [m2m_before[name], after]
    if changes:
        audit_log(actor=actor, action=audit_action, obj=instance, changes=changes)
    return instance


@transaction.atomic
def object_delete(*, actor, instance, version=None):
    """Soft delete where the model supports it (recycle bin), hard delete otherwise."""
    if _has_field(type(instance), "deleted_at"):
        lock_version(instance, version)
        instance.deleted_at = timezone.now()
        instance.deleted_by = actor if actor is not None and actor.is_authenticated else None
        instance.save(
            update_fields=[
                "deleted_at",
                "deleted_by",
                *(["version"] if _has_field(type(instance), "version") else []),
            ]
        )
        audit_log(actor=actor, action="delete", obj=instance)
        return instance
    lock_version(instance, version)
    _hard_delete(actor, instance, action="delete")
    return None


@transaction.atomic
def owner_transfer(*, actor, instance, new_owner, reason=""):
    """Give an owned record to `new_owner`: the transfer permission within the actor's scope,
    the department taken from the new owner, audited as "transfer", and `owner_changed` sent
    (workspace notifies the new owner and moves the record's open to-dos)."""
    from .signals import owner_changed

    model = type(instance)
    manager = getattr(model, "all_objects", model.objects)
    if not manager.filter(pk=instance.pk).visible_to(actor, "transfer").exists():
        raise ValidationError(_("You may not transfer this record."), code="permission")
    if new_owner is None or not new_owner.is_active:
        raise ValidationError({"owner": _("That user is deactivated.")})
    if not str(reason or "").strip():
        raise ValidationError({"reason": _("Give a reason for the transfer.")})
    previous = instance.owner
    if previous == new_owner:
        return instance
    with changing_owner():
        object_update(
            actor=actor,
            instance=instance,
            data={"owner": new_owner, "department": new_owner.department},
        )
    owner_changed.send(
        sender=model,
        instance=instance,
        previous=previous,
        new_owner=new_owner,
        actor=actor,
        reason=reason,
        notify_new_owner=True,
    )
    return instance


def _hard_delete(actor, instance, action="purge"):
    audit_log(
        actor=actor,
        action=action,
        obj=instance,
        changes={k: [v, None] for k, v in snapshot(instance).items()},
    )
    try:
        instance.delete()
    except (ProtectedError, RestrictedError) as e:
        # Raised while collecting, before any row is deleted; the atomic block drops the audit entry.
        blocking = getattr(e, "protected_objects", None) or getattr(e, "restricted_objects", ())
        used_by = sorted({str(o._meta.verbose_name_plural) for o in blocking if hasattr(o, "_meta")})
        raise ValidationError(
            _("%(name)s is still used by other records (%(used_by)s) and cannot be deleted.")
            % {"name": instance, "used_by": ", ".join(used_by) or "?"},
            code="protected",
        ) from e


@transaction.atomic
def object_restore(*, actor, instance):
    instance.deleted_at = None
    instance.deleted_by = None
    instance.save(update_fields=["deleted_at", "deleted_by"])
    audit_log(actor=actor, action="restore", obj=instance)
    return instance


@transaction.atomic
def object_purge(*, actor, instance):
    _hard_delete(actor, instance)


def leaves_scope(instance):
    """Mark a record that a service deliberately puts outside its writer's scope (created into
    the pool, handed to another department): the re-check after the write lets it through."""
    instance._crm_leaves_scope = True
    return instance


def ensure_still_visible(actor, instance, action):
    """Raise (rolling the write back) when `actor` could not `action` the record they just saved.

    As NetBox's edit views do: whatever a form, serializer or import row smuggled in (a parent
    outside the scope, an owner the writer cannot see), the result must stay in the writer's reach.
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or instance is None:
        return
    if getattr(instance, "_crm_leaves_scope", False) or not hasattr(type(instance).objects, "visible_to"):
        return
    if instance._meta.label == actor._meta.label and instance.pk == actor.pk:
        return  # one's own profile: self-service, not the "change user" function
    model = type(instance)
    manager = getattr(model, "all_objects", model.objects)
    if not manager.filter(pk=instance.pk).visible_to(actor, action).exists():
        raise ValidationError(
            _("After this change the %(model)s would be outside your data scope, so nothing was saved.")
            % {"model": model._meta.verbose_name},
            code="out_of_scope",
        )


_rechecking = contextvars.ContextVar("crm_rechecking", default=False)


def _rechecked(method, action):
    """Wrap a service's create/update: the outermost call re-checks the saved record inside the
    same transaction (subclasses calling super() check once)."""

    @functools.wraps(method)
    def wrapper(self, *args, actor, **kwargs):
        if _rechecking.get():
            return method(self, *args, actor=actor, **kwargs)
        token = _rechecking.set(True)
        try:
            with transaction.atomic():
                instance = method(self, *args, actor=actor, **kwargs)
                ensure_still_visible(actor, instance, action)
        finally:
            _rechecking.reset(token)
        return instance

    wrapper._crm_rechecked = True
    return wrapper


class ModelService:
    """The write path a declared model uses; entity modules subclass it to add rules.

    `create` and `update` of this class and of every subclass are wrapped (`_rechecked`): after
    the write, the record must still be visible to the writer for that action, or it is undone.
    """

    def __init__(self, model):
        self.model = model

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, action in (("create", "add"), ("update", "change")):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_crm_rechecked", False):
                setattr(cls, name, _rechecked(method, action))

    def create(self, *, actor, data):
        return object_create(actor=actor, model=self.model, data=data)

    def update(self, *, actor, instance, data, version=None):
        return object_update(actor=actor, instance=instance, data=data, version=version)

    def delete(self, *, actor, instance, version=None):
        return object_delete(actor=actor, instance=instance, version=version)

    def restore(self, *, actor, instance):
        return object_restore(actor=actor, instance=instance)

    def purge(self, *, actor, instance):
        return object_purge(actor=actor, instance=instance)


for _name, _action in (("create", "add"), ("update", "change")):
    setattr(ModelService, _name, _rechecked(getattr(ModelService, _name), _action))
