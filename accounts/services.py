"""Writes for users, departments, roles and tokens. Each is atomic and audited."""

from datetime import timedelta

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.services import ModelService, object_create, object_update

from .models import ApiToken, Department, User


# --- departments ------------------------------------------------------------------------------
def _department_path(department):
    parent_path = department.parent.path if department.parent_id else "/"
    return f"{parent_path}{department.pk}/"


class DepartmentService(ModelService):
    def __init__(self):
        super().__init__(Department)

    @transaction.atomic
    def create(self, *, actor, data):
        department = object_create(actor=actor, model=Department, data=data)
        department.path = _department_path(department)
        Department.objects.filter(pk=department.pk).update(path=department.path)
        return department

    @transaction.atomic
    def update(self, *, actor, instance, data, version=None):
        old_path = instance.path
        department = object_update(actor=actor, instance=instance, data=data, version=version)
        new_path = _department_path(department)
        if new_path != old_path:
            # Move the subtree: every descendant's path shares the old prefix.
            Department.objects.filter(path__startswith=old_path).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
            )
            department.path = new_path
        return department

    @transaction.atomic
    def delete(self, *, actor, instance, version=None):
        if instance.children.exists():
            raise ValidationError(_("Move or delete the sub-departments first."))
        if instance.members.exists():
            raise ValidationError(_("Move the department's users to another department first."))
        return super().delete(actor=actor, instance=instance, version=version)


# --- users ------------------------------------------------------------------------------------
class UserService(ModelService):
    def __init__(self):
        super().__init__(User)

    @transaction.atomic
    def create(self, *, actor, data, password=None):
        data = dict(data)
        password = data.pop("password", None) or password
        user = User(username=data.get("username", ""), email=data.get("email", ""), name=data.get("name", ""))
        if password:
            password_validation.validate_password(password, user)
        # The hash goes in before full_clean (the column is required); without a password the
        # account gets an unusable one until an administrator resets it.
        data["password"] = make_password(password or None)
        return object_create(actor=actor, model=User, data=data)

    def update(self, *, actor, instance, data, version=None):
        # The edit form, bulk edit and API can all untick "active": same rule as delete.
        if data.get("is_active") is False and instance.is_active and instance.pk == getattr(actor, "pk", None):
            raise ValidationError({"is_active": _("You cannot deactivate your own account.")})
        return super().update(actor=actor, instance=instance, data=data, version=version)

    def delete(self, *, actor, instance, version=None):
        # Users are deactivated, never deleted: their records and audit trail stay attributable.
        if instance.pk == getattr(actor, "pk", None):
            raise ValidationError(_("You cannot deactivate your own account."))
        return object_update(
            actor=actor,
            instance=instance,
            data={"is_active": False},
            version=version,
            audit_action="delete",
        )


user_service = UserService()
department_service = DepartmentService()


@transaction.atomic
def user_reset_password(*, actor, user, new_password):
    """Administrator reset: the user must choose a new password at next login."""
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit_log(actor=actor, action="password", obj=user, message="reset by administrator")
    tokens_revoke_all(actor=actor, user=user, reason="password reset")
    return user


@transaction.atomic
def user_change_password(*, user, old_password, new_password):
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("Your current password is wrong.")})
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_log(actor=user, action="password", obj=user, message="changed by the user")
    # A token is a lasting copy of the old password's authority: whoever held the password may
    # have taken one, and a reset or change must shut them out too.
    tokens_revoke_all(actor=user, user=user, reason="password changed")
    return user


@transaction.atomic
def user_set_language(*, user, language):
    if language not in User.Language.values:
        raise ValidationError({"language": _("Unknown language.")})
    if user.language != language:
        before = user.language
        user.language = language
        user.save(update_fields=["language"])
        audit_log(actor=user, action="update", obj=user, changes={"language": [before, language]})
    return user


# --- roles ------------------------------------------------------------------------------------
def role_set_permissions(*, actor, role, permissions):
    return object_update(actor=actor, instance=role, data={"permissions": list(permissions)})


# --- API tokens -------------------------------------------------------------------------------
TOKEN_DAYS_DEFAULT = 90


def token_lifetime():
    """How long a new token lasts: the api_token_days parameter (1-3650 days, else 90)."""
    from basedata.parameters import get_parameter

    days = get_parameter("api_token_days", TOKEN_DAYS_DEFAULT)
    if not isinstance(days, int) or not 1 <= days <= 3650:
        days = TOKEN_DAYS_DEFAULT
    return timedelta(days=days)


@transaction.atomic
def token_create(*, user, name="API"):
    """Returns (token, key); the key is shown once and only its hash is stored."""
    key, prefix, key_hash = ApiToken.generate()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=(name or "API")[:60],
        prefix=prefix,
        key_hash=key_hash,
        created_at=now,
        expires_at=now + token_lifetime(),
    )
    audit_log(actor=user, action="token", obj=token, message="created")
    return token, key


@transaction.atomic
def token_revoke(*, actor, token):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_log(actor=actor, action="token", obj=token, message="revoked")
    return token


@transaction.atomic
def tokens_revoke_all(*, actor, user, reason):
    """Revoke every live token of `user` (expired ones too: nothing about them stays usable)."""
    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
    for token in tokens:
        token.revoked_at = now
        audit_log(actor=actor, action="token", obj=token, message=f"revoked: {reason}")
    return len(tokens)
