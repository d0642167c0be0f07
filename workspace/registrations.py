from django.utils.translation import gettext_lazy as _

from core.navigation import MenuItem, register_group, register_item

from .widgets import Widget, register_widget

register_group("workspace", _("Workspace"), "ti ti-home", 10)
register_item("workspace", MenuItem(_("Workbench"), "home", None, "ti ti-layout-dashboard", 10))
register_item("workspace", MenuItem(_("Notifications"), "workspace:notification_list", None, "ti ti-bell", 20))
register_item("workspace", MenuItem(_("To-dos"), "workspace:todo_list", None, "ti ti-checklist", 30))


def _recent_changes(user):
    from accounts.models import AuditEntry

    return {"entries": AuditEntry.objects.filter(actor=user).select_related("content_type")[:6]}


register_widget(
    Widget(
        "my_activity",
        _("My recent activity"),
        "workspace/widgets/activity.html",
        _recent_changes,
        order=90,
    )
)
