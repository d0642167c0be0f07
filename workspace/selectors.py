from django.utils import timezone

from .models import Notification, Todo


def unread_count(user):
    cached = getattr(user, "_crm_unread", None)
    if cached is None:
        cached = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
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
