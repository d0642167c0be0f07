"""notify(), email/SMS delivery, to-do services and the reminder job."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEntry
from basedata.models import SystemParameter
from basedata.parameters import clear_cache
from workspace.models import Notification, Todo
from workspace.services import (
    notification_mark_read,
    notify,
    raise_due_reminders,
    todo_complete,
    todo_create,
    todo_update,
)
from workspace.sms import LoggingSmsGateway

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sms_log():
    LoggingSmsGateway.sent.clear()
    yield LoggingSmsGateway.sent
    LoggingSmsGateway.sent.clear()


def set_parameter(key, value):
    SystemParameter.objects.filter(key=key).update(value=value)
    clear_cache()


# --- notify ---------------------------------------------------------------------------------
def test_notify_creates_one_in_app_notification_per_recipient(alice, bob, mailoutbox):
    created = notify(recipients=[alice, bob, alice, None], title="Hello", body="World", link="/x/")
    assert len(created) == 2
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"alice", "bob"}
    n = Notification.objects.get(recipient=alice)
    assert (n.title, n.body, n.link, n.level, n.channels, n.read_at) == (
        "Hello",
        "World",
        "/x/",
        "info",
        ["in_app"],
        None,
    )
    assert mailoutbox == []


def test_notify_skips_inactive_users(alice, bob):
    bob.is_active = False
    bob.save()
    notify(recipients=[alice, bob], title="Hi")
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["alice"]


def test_notify_links_to_a_target(alice, admin_user):
    todo = Todo.objects.create(owner=alice, title="t", due_at=timezone.now())
    [n] = notify(recipients=[alice], title="About a to-do", target=todo)
    n.refresh_from_db()
    assert n.target_id == str(todo.pk) and n.target_type.model == "todo"
    assert n.link == todo.get_absolute_url()


def test_unknown_channel_is_a_programming_error(alice):
    with pytest.raises(ValueError):
        notify(recipients=[alice], title="x", channels=("pigeon",))
    assert not Notification.objects.exists()


def test_email_goes_out_after_commit_when_asked_and_enabled(alice, bob, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[alice, bob, alice], title="Contract signed", body="Details", channels=("in_app", "email"))
    assert mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@guanxi.example", "bob@guanxi.example"]
    assert mailoutbox[0].subject == "Contract signed"
    assert "Details" in mailoutbox[0].body


def test_email_includes_the_link(alice, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[alice], title="T", body="B", link="/workspace/todos/", channels=("email",))
    assert "/workspace/todos/" in mailoutbox[0].body


def test_no_email_without_the_email_channel(alice, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipients=[alice], title="Quiet")
    # The only callback left forgets the cached unread count; none sends anything.
    assert [c.__qualname__ for c in callbacks] == ["_forget_unread.<locals>.<lambda>"]
    assert mailoutbox == []


def test_no_email_when_email_is_switched_off(alice, mailoutbox, django_capture_on_commit_callbacks):
    set_parameter("email_enabled", "0")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[alice], title="Off", channels=("in_app", "email"))
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=alice, title="Off").exists()


def test_no_email_for_users_without_an_address(alice, mailoutbox, django_capture_on_commit_callbacks):
    alice.email = ""
    alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[alice], title="x", channels=("email",))
    assert mailoutbox == []


def test_sms_only_when_enabled(alice, sms_log, mailoutbox, django_capture_on_commit_callbacks):
    alice.phone = "13800138000"
    alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[alice], title="Ticket", body="assigned", channels=("in_app", "sms"))
    assert sms_log == []  # sms_enabled defaults to off
    set_parameter("sms_enabled", "1")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[alice], title="Ticket", body="assigned", channels=("in_app", "sms"))
    assert sms_log == [("13800138000", "【Ticket】assigned")]
    assert mailoutbox == []


def test_rollback_sends_nothing(alice, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notify(recipients=[alice], title="Never", channels=("email",))
                raise RuntimeError
    assert mailoutbox == []
    assert not Notification.objects.filter(title="Never").exists()


def test_mark_read_only_touches_the_users_own(alice, bob):
    notify(recipients=[alice, bob], title="a")
    notify(recipients=[alice], title="b")
    assert notification_mark_read(user=alice, notifications=[Notification.objects.get(recipient=bob)]) == 0
    assert notification_mark_read(user=alice) == 2
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1
    assert notification_mark_read(user=alice) == 0


# --- to-dos ---------------------------------------------------------------------------------
def test_todo_create_validates_the_title(alice):
    for title in ("", "   "):
        with pytest.raises(ValidationError) as exc:
            todo_create(actor=alice, owner=alice, title=title, due_at=timezone.now())
        assert "title" in exc.value.message_dict
    assert not Todo.objects.exists()


def test_todo_create_validates_the_reminder(alice):
    due = timezone.now() + timedelta(hours=1)
    with pytest.raises(ValidationError) as exc:
        todo_create(actor=alice, owner=alice, title="x", due_at=due, remind_at=due + timedelta(minutes=5))
    assert "remind_at" in exc.value.message_dict
    assert not Todo.objects.exists()


def test_todo_create_audits_and_tells_another_owner(alice, manager):
    due = timezone.now() + timedelta(days=1)
    todo = todo_create(actor=manager, owner=alice, title="  Call the client  ", due_at=due)
    assert todo.title == "Call the client"
    assert todo.created_by == manager
    assert AuditEntry.objects.for_object(todo).get().action == "create"
    [n] = Notification.objects.filter(recipient=alice)
    assert "Call the client" in n.title and n.link == todo.get_absolute_url()
    todo_create(actor=alice, owner=alice, title="Own", due_at=due)
    assert Notification.objects.filter(recipient=alice).count() == 1  # no notice to oneself


def test_todo_complete_and_reopen_with_version(alice):
    todo = todo_create(actor=alice, owner=alice, title="x", due_at=timezone.now())
    todo_complete(actor=alice, todo=todo, version=1)
    todo.refresh_from_db()
    assert todo.done_at is not None and todo.version == 2
    from core.exceptions import VersionConflict

    with pytest.raises(VersionConflict):
        todo_complete(actor=alice, todo=Todo.objects.get(pk=todo.pk), done=False, version=1)
    todo_complete(actor=alice, todo=Todo.objects.get(pk=todo.pk), done=False, version=2)
    assert Todo.objects.get(pk=todo.pk).done_at is None


# --- reminders ------------------------------------------------------------------------------
def test_reminders_are_sent_once(alice, mailoutbox, django_capture_on_commit_callbacks):
    now = timezone.now()
    todo_create(actor=alice, owner=alice, title="Due soon", due_at=now + timedelta(minutes=10))
    todo_create(actor=alice, owner=alice, title="Due later", due_at=now + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert raise_due_reminders(now=now) == 1
    [n] = Notification.objects.filter(recipient=alice)
    assert n.title.endswith("Due soon") and n.level == "warning"
    assert [m.to for m in mailoutbox] == [["alice@guanxi.example"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert raise_due_reminders(now=now + timedelta(minutes=1)) == 0
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert len(mailoutbox) == 1


def test_reminders_respect_remind_at(alice, django_capture_on_commit_callbacks):
    now = timezone.now()
    todo = todo_create(
        actor=alice,
        owner=alice,
        title="Explicit reminder",
        due_at=now + timedelta(minutes=10),  # inside the 30-minute lead time ...
        remind_at=now + timedelta(minutes=8),  # ... but the user asked for later
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert raise_due_reminders(now=now) == 0
        assert raise_due_reminders(now=now + timedelta(minutes=8)) == 1
    todo.refresh_from_db()
    assert todo.reminded_at is not None


def test_done_todos_are_not_reminded(alice, django_capture_on_commit_callbacks):
    now = timezone.now()
    todo = todo_create(actor=alice, owner=alice, title="Done already", due_at=now)
    todo_complete(actor=alice, todo=todo)
    with django_capture_on_commit_callbacks(execute=True):
        assert raise_due_reminders(now=now) == 0


def test_rescheduling_reminds_again(alice, django_capture_on_commit_callbacks):
    now = timezone.now()
    todo = todo_create(actor=alice, owner=alice, title="Moved", due_at=now + timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert raise_due_reminders(now=now) == 1
    todo.refresh_from_db()
    todo_update(actor=alice, todo=todo, data={"due_at": now + timedelta(days=1)}, version=todo.version)
    with django_capture_on_commit_callbacks(execute=True):
        assert raise_due_reminders(now=now) == 0
        assert raise_due_reminders(now=now + timedelta(days=1)) == 1
    assert Notification.objects.filter(recipient=alice).count() == 2


def test_reminder_lead_time_is_a_parameter(alice, django_capture_on_commit_callbacks):
    now = timezone.now()
    todo_create(actor=alice, owner=alice, title="In 50 minutes", due_at=now + timedelta(minutes=50))
    with django_capture_on_commit_callbacks(execute=True):
        assert raise_due_reminders(now=now) == 0
    set_parameter("reminder_lead_minutes", "60")
    with django_capture_on_commit_callbacks(execute=True):
        assert raise_due_reminders(now=now) == 1
