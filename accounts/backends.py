from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    """Function permissions come from the user's roles (in place of Django groups)."""

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(crm_roles__users=user_obj)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            from .auth_cache import snapshot

            user_obj._perm_cache = snapshot(user_obj)["perms"]
        return user_obj._perm_cache

    def get_user(self, user_id):
        from .auth_cache import cached_user

        user = cached_user(user_id)
        if user is None:
            return super().get_user(user_id)
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user)
