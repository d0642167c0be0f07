from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _shell_unread(request, user):
    if user is None:
        return {}
    from .selectors import unread_count

    return {"crm_unread": unread_count(user)}


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = _("Workspace")

    def ready(self):
        from core.context_processors import add_shell_context

        from . import registrations  # noqa: F401

        add_shell_context(_shell_unread)
