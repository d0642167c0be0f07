"""notify() and to-do services that every module calls."""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.services import lock_version

from .models import Notification, Todo

CHANNELS = ("in_app", "email", "sms")


def notify(
    *,
    recipients,
    title,
    body="",
    target=None,
    link="",
    level="info",
    channels=("in_app",),
    actor=None,
):
    """Tell users something: always in-app; email/SMS when asked for and enabled.

    Email and SMS go out after the surrounding transaction commits, so a rollback sends nothing.
    """
    from basedata.parameters import get_parameter

    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels: {unknown}")
    # Each active user once, however often they were named.
    recipients = list({r.pk: r for r in recipients if r is not None and r.is_active}.values())
    created = []
    for user in recipients:
        n = Notification(
            recipient=user,
            title=title[:200],
            body=body,
            level=level,
            link=link,
            channels=list(channels),
        )
        n.set_target(target)
        created.append(n)
    Notification.objects.bulk_create(created)
    _forget_unread([u.pk for u in recipients])
    email_to = (
        [u.email for u in recipients if u.email] if "email" in channels and get_parameter("email_enabled") else []
    )
    sms_to = [u.phone for u in recipients if u.phone] if "sms" in channels and get_parameter("sms_enabled") else []
    if email_to or sms_to:
        url = link or (target.get_absolute_url() if target is not None and hasattr(target, "get_absolute_url") else "")
        transaction.on_commit(lambda: _send_external(email_to, sms_to, title, body, url))
    return created


def _send_external(email_to, sms_to, title, body, url):
    from .tasks import send_external

    send_external(email_to, sms_to, title, body, url)


def deliver_external(email_to, sms_to, title, body, url):
    from .sms import gateway

    text = f"{body}\n\n{url}".strip() if url else body
    for address in email_to:
        send_mail(title, text or title, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    sms = gateway()
    for phone in sms_to:
        sms.send(phone, f"【{title}】{body}"[:300])


@transaction.atomic
def notification_mark_read(*, user, notifications=None):
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notifications is not None:
        qs = qs.filter(pk__in=[n.pk for n in notifications])
    _forget_unread([user.pk])
    return qs.update(read_at=timezone.now())


def _forget_unread(user_ids):
    from .selectors import unread_key

    keys = [unread_key(pk) for pk in user_ids]
    if keys:
        cache.delete_many(keys)
        # Again after the commit: a page that counted in between must not keep the old count.
        transaction.on_commit(lambda: cache.delete_many(keys))


@transaction.atomic
def todo_create(*, actor, owner, title, due_at, note="", remind_at=None, target=None, link=""):
    if not title or not title.strip():
        raise ValidationError({"title": _("Enter a title.")})
    todo = Todo(
        owner=owner,
        title=title.strip()[:200],
        note=note,
        due_at=due_at,
        remind_at=remind_at,
        link=link,
        created_by=actor,
    )
    todo.set_target(target)
    todo.full_clean()
    todo.save()
    audit_log(
        actor=actor,
        action="create",
        obj=todo,
        changes={"title": [None, todo.title], "due_at": [None, todo.due_at.isoformat()]},
    )
    if owner != actor:
        notify(
            recipients=[owner],
            title=_("New to-do: %(title)s") % {"title": todo.title},
            target=todo,
            actor=actor,
        )
    return todo


@transaction.atomic
def todo_update(*, actor, todo, data, version=None):
    from core.services import object_update

    data = dict(data)
    if any(k in data and data[k] != getattr(todo, k) for k in ("due_at", "remind_at")):
        data["reminded_at"] = None  # rescheduled: remind again at the new time
    return object_update(actor=actor, instance=todo, data=data, version=version)


@transaction.atomic
def todo_complete(*, actor, todo, done=True, version=None):
    lock_version(todo, version)
    todo.done_at = timezone.now() if done else None
    todo.save(update_fields=["done_at", "version"])
    audit_log(
        actor=actor,
        action="update",
        obj=todo,
        changes={"done_at": [None, todo.done_at.isoformat() if todo.done_at else None]},
    )
    return todo


def raise_due_reminders(now=None):
    """Notify owners of to-dos whose reminder time has come (periodic job). Returns the count."""
    from basedata.parameters import get_parameter

    now = now or timezone.now()
    lead = timezone.timedelta(minutes=get_parameter("reminder_lead_minutes") or 0)
    due = list(
        Todo.objects.filter(done_at__isnull=True, reminded_at__isnull=True)
        .filter(remind_at__lte=now)
        .select_related("owner")[:1000]
    ) + list(
        Todo.objects.filter(
            done_at__isnull=True,
            reminded_at__isnull=True,
            remind_at__isnull=True,
            due_at__lte=now + lead,
        ).select_related("owner")[:1000]
    )
    sent = 0
    for todo in due:
        with transaction.atomic():
            # Claim the reminder first so two workers never send it twice.
            if not Todo.objects.filter(pk=todo.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            sent += 1
            notify(
                recipients=[todo.owner],
                title=_("Reminder: %(title)s") % {"title": todo.title},
                body=_("Due %(due)s") % {"due": timezone.localtime(todo.due_at).strftime("%Y-%m-%d %H:%M")},
                target=todo,
                link=todo.link,
                level="warning",
                channels=("in_app", "email", "sms"),
            )
    return sent


def open_todos_for(target):
    from django.contrib.contenttypes.models import ContentType

    return Todo.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk), done_at__isnull=True
    )


def _can_open(user, target):
    model = type(target)
    manager = getattr(model, "all_objects", model.objects)
    return manager.filter(pk=target.pk).visible_to(user, "view").exists()


@transaction.atomic
def todos_follow_record(*, actor, target, new_owner=None):
    """After `target` changed hands (transfer, claim, assign, release to the pool): an open to-do
    whose holder can no longer open the record moves to `new_owner` (when they can), or is closed
    with a note. No to-do ever leads its holder to a 404. Returns (moved, closed)."""
    moved = closed = 0
    for todo in open_todos_for(target).select_related("owner"):
        if _can_open(todo.owner, target):
            continue
        previous = todo.owner
        if new_owner is not None and new_owner.is_active and _can_open(new_owner, target):
            todo.owner = new_owner
            todo.note = (todo.note + "\n" if todo.note else "") + _("Moved from %(user)s with the record.") % {
                "user": previous
            }
            todo.version += 1  # a form opened before the move is now stale
            todo.save(update_fields=["owner", "note", "updated_at", "version"])
            audit_log(actor=actor, action="update", obj=todo, changes={"owner": [str(previous), str(new_owner)]})
            notify(
                recipients=[new_owner],
                title=_("New to-do: %(title)s") % {"title": todo.title},
                target=todo,
                actor=actor,
            )
            moved += 1
        else:
            todo.done_at = timezone.now()
            todo.note = (todo.note + "\n" if todo.note else "") + _("Closed: the record is no longer yours.")
            todo.version += 1
            todo.save(update_fields=["done_at", "note", "updated_at", "version"])
            audit_log(
                actor=actor,
                action="update",
                obj=todo,
                changes={"done_at": [None, todo.done_at.isoformat()]},
                message=str(target),
            )
            closed += 1
    return moved, closed


@transaction.atomic
def todos_close_for(*, actor, target, note, owners=None):
    """Close the open to-dos about `target` (of `owners`, when given): a review that has been
    decided. Returns the count."""
    count = 0
    todos = open_todos_for(target)
    if owners is not None:
        todos = todos.filter(owner__in=owners)
    for todo in todos:
        todo.done_at = timezone.now()
        todo.note = (todo.note + "\n" if todo.note else "") + note
        todo.version += 1
        todo.save(update_fields=["done_at", "note", "updated_at", "version"])
        audit_log(actor=actor, action="update", obj=todo, changes={"done_at": [None, todo.done_at.isoformat()]})
        count += 1
    return count
