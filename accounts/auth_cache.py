"""A user's permissions, roles and department, shared by their requests.

Every page needed four queries for them (user permissions, role permissions, roles, department).
With a shared cache (Redis) they are read once and kept until anything they derive from changes:
a save or delete of a role, user, department or permission, or a change of the role/permission
links, replaces the version every key carries. A per-process cache (LocMemCache) is not shared
by the server's worker processes, so there the snapshot lives for one request only, as before.
"""

from django.core.cache import cache
from django.db import transaction

from core.cache import read_versions, replace_version, shared

VERSION_KEY = "auth-snapshot-version"
FORMAT = 4  # part of every key: a deploy that changes what a snapshot holds never reads old ones
TTL = 600


def enabled():
    return shared()


def bump(**kwargs):
    if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= {"last_login"}:
        return  # a login changes nothing a snapshot holds
    _new_version()
    # Again after the commit: a request that read the old rows in between (and cached them
    # under the new version) must not keep its snapshot.
    transaction.on_commit(_new_version)


def _new_version():
    replace_version(VERSION_KEY)


def _key(user_id):
    # One entry per user holds both the user's row and their snapshot: two cache reads a
    # request (the version, then this), not four.
    return f"auth:{FORMAT}:{user_id}:{read_versions([VERSION_KEY])[VERSION_KEY]}"


def _row(user):
    names = tuple(f.attname for f in type(user)._meta.concrete_fields if f.attname != "password")
    return names, tuple(getattr(user, name) for name in names), user.get_session_auth_hash()


def _store(key, entry, **parts):
    cache.set(key, {**(entry or {}), **parts}, TTL)


def cached_user(user_id):
    """The signed-in user of a request, without a query while nothing about users changed.

    The row is kept without the password hash (Redis is no place for it); the instance carries
    the session hash computed from it instead, and its password stays a deferred field: read
    only if something needs it (a password check), never written back by a save().
    """
    from .models import User

    if not enabled():
        return None
    key = _key(user_id)
    entry = cache.get(key)
    if entry is None or "user" not in entry:
        user = User._default_manager.filter(pk=user_id).first()
        if user is not None:
            _store(key, entry, user=_row(user))
        return user
    names, values, session_hash = entry["user"]
    user = User.from_db(User._default_manager.db, names, values)
    user.__dict__["_session_auth_hash"] = session_hash
    if "snapshot" in entry:
        user.__dict__["_auth_snapshot"] = entry["snapshot"]
    return user


def snapshot(user):
    """{"perms", "roles", "department", "department_tree"} of an active, saved user."""
    cached = user.__dict__.get("_auth_snapshot")
    if cached is not None:
        return cached
    entry = None
    if enabled():
        key = _key(user.pk)
        entry = cache.get(key)
    data = entry.get("snapshot") if entry else None
    if data is None:
        department = user.department
        data = {
            "perms": _permissions(user),
            "roles": list(user.roles.all()),
            "department": department,
            # The department and everything under it: a tree scope filters by these ids instead
            # of joining departments into every list query.
            "department_tree": (
                list(type(department).objects.filter(path__startswith=department.path).values_list("pk", flat=True))
                if department is not None
                else []
            ),
        }
        if enabled():
            _store(key, entry, snapshot=data)
    user.__dict__["_auth_snapshot"] = data
    return data


def _permissions(user):
    from django.contrib.auth.backends import ModelBackend

    from .backends import RoleBackend

    # The backend's own computation (user permissions + role permissions), not its cached entry.
    return ModelBackend.get_all_permissions(RoleBackend(), user)


def connect():
    from django.contrib.auth.models import Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .models import Department, Role, User

    for model in (Role, User, Department, Permission):
        post_save.connect(bump, sender=model, dispatch_uid=f"auth-snapshot-save-{model.__name__}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"auth-snapshot-delete-{model.__name__}")
    for through in (Role.permissions.through, User.roles.through, User.user_permissions.through, User.groups.through):
        m2m_changed.connect(bump, sender=through, dispatch_uid=f"auth-snapshot-m2m-{through.__name__}")
