from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleBackend(ModelBackend):
    """Function permissions come from the user's roles (in place of Django groups)."""

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(crm_roles__users=user_obj)

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user)
