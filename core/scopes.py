"""Data scopes: which rows of an owned model a user may reach.

A role carries one scope; a user with several roles gets the widest (highest rank).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataScope(models.IntegerChoices):
    OWN = 10, _("Own records")
    OWN_SUBORDINATES = 20, _("Own and subordinates")
    DEPARTMENT = 30, _("Own department")
    DEPARTMENT_TREE = 40, _("Department and sub-departments")
    ALL = 50, _("All records")


def user_scope(user):
    """Widest scope over the user's roles, cached on the user object for the request."""
    if user.is_superuser:
        return DataScope.ALL
    cached = getattr(user, "_crm_scope", None)
    if cached is None:
        ranks = [r.data_scope for r in user.role_list]
        cached = max(ranks) if ranks else DataScope.OWN
        user._crm_scope = cached
    return cached


def subordinate_ids(user):
    """The user and everyone reporting to them, directly or indirectly."""
    from django.contrib.auth import get_user_model

    cached = getattr(user, "_crm_subordinates", None)
    if cached is not None:
        return cached
    User = get_user_model()
    ids, frontier = {user.pk}, {user.pk}
    while frontier:
        frontier = set(User.objects.filter(manager_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    user._crm_subordinates = ids
    return ids


def owned_scope_q(user, owner_field="owner", department_field="department"):
    """Q object restricting an owned model to the user's data scope (None = no restriction)."""
    scope = user_scope(user)
    if scope >= DataScope.ALL:
        return None
    if scope == DataScope.OWN:
        return models.Q(**{f"{owner_field}_id": user.pk})
    if scope == DataScope.OWN_SUBORDINATES:
        return models.Q(**{f"{owner_field}_id__in": subordinate_ids(user)})
    department = getattr(user, "crm_department", None) if hasattr(user, "auth_snapshot") else user.department
    if department is None:
        return models.Q(**{f"{owner_field}_id": user.pk})
    if scope == DataScope.DEPARTMENT:
        return models.Q(**{f"{department_field}_id": department.pk}) | models.Q(**{f"{owner_field}_id": user.pk})
    if hasattr(user, "auth_snapshot"):
        tree = user.auth_snapshot()["department_tree"]
        return models.Q(**{f"{department_field}_id__in": tree}) | models.Q(**{f"{owner_field}_id": user.pk})
    return models.Q(**{f"{department_field}__path__startswith": department.path}) | models.Q(
        **{f"{owner_field}_id": user.pk}
    )
