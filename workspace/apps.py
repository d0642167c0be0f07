from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _shell_unread(request, user):
    if user is None:
        return {}
    from .selectors import unread_count

    return {"crm_unread": unread_count(user)}


def _follow_owner(sender, instance, previous, new_owner, actor, reason="", notify_new_owner=False, **kwargs):
    """A record changed hands: its open to-dos follow it; the new owner hears of it."""
    from django.utils.translation import gettext as _

    from .services import notify, todos_follow_record

    todos_follow_record(actor=actor, target=instance, new_owner=new_owner)
    if notify_new_owner and new_owner is not None and new_owner != actor:
        notify(
            recipients=[new_owner],
            title=_("%(record)s was transferred to you") % {"record": instance},
            body=reason,
            target=instance,
            actor=actor,
        )


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = _("Workspace")

    def ready(self):
        from core.context_processors import add_shell_context

        from . import registrations  # noqa: F401

        add_shell_context(_shell_unread)
        from core.signals import owner_changed

        owner_changed.connect(_follow_owner, dispatch_uid="workspace.follow_owner")
