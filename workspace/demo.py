from datetime import timedelta

from django.utils import timezone

from core.demo import register_seeder


def seed(stdout=None, **options):
    from accounts.models import User

    from .models import Notification, Todo
    from .services import notify, todo_create

    if Notification.objects.exists():
        return
    now = timezone.now()
    for user in User.objects.filter(is_active=True):
        notify(
            recipients=[user],
            title="欢迎使用关系 CRM / Welcome to Guanxi CRM",
            body="演示数据已就绪 · Demo data is ready.",
        )
        todo_create(
            actor=user,
            owner=user,
            title="熟悉工作台 / Explore the workbench",
            due_at=now + timedelta(hours=2),
        )
        todo_create(
            actor=user,
            owner=user,
            title="检查本周待办 / Review this week's to-dos",
            due_at=now + timedelta(days=2),
        )
    if stdout:
        stdout.write(f"workspace: {Notification.objects.count()} notifications, {Todo.objects.count()} to-dos")


register_seeder(90, seed)
