from django.core.cache import cache
from django.utils import timezone

from core.cache import shared

from .models import Notification, Todo

UNREAD_TTL = 300  # a safety net: every write through workspace.services forgets the count


def unread_key(user_id):
    return f"unread-notifications:{user_id}"


def unread_count(user):
    """The bell's badge, on every page: kept in the shared cache until a notification of the
    user is created or read (workspace.services forgets it)."""
    cached = getattr(user, "_crm_unread", None)
    if cached is None:
        key = unread_key(user.pk)
        cached = cache.get(key) if shared() else None
        if cached is None:
            cached = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
            if shared():
                cache.set(key, cached, UNREAD_TTL)
        user._crm_unread = cached
    return cached


def inbox(user, unread_only=False):
    qs = Notification.objects.visible_to(user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def open_todos(user):
    return Todo.objects.visible_to(user).filter(done_at__isnull=True).order_by("due_at")


def todos_due_today(user):
    end = timezone.localtime().replace(hour=23, minute=59, second=59)
    return open_todos(user).filter(due_at__lte=end)
