from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, VersionedModel


class LinkedRecord(models.Model):
    """Optional link to any record (customer, ticket, ...) by content type + id."""

    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)

    class Meta:
        abstract = True

    def set_target(self, obj):
        if obj is not None:
            self.target_type = ContentType.objects.get_for_model(obj)
            self.target_id = str(obj.pk)
            if not self.link and hasattr(obj, "get_absolute_url"):
                self.link = obj.get_absolute_url()


class Notification(LinkedRecord, TimeStampedModel):
    class Level(models.TextChoices):
        INFO = "info", _("Information")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        DANGER = "danger", _("Urgent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    PERSONAL = True

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        default_permissions = ()
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("workspace:notification_open", args=[self.pk])

    @classmethod
    def scope_queryset(cls, queryset, user, action):
        return queryset.filter(recipient=user)


class Todo(LinkedRecord, TimeStampedModel, VersionedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="todos",
    )
    title = models.CharField(_("title"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    PERSONAL = True

    class Meta:
        verbose_name = _("to-do")
        verbose_name_plural = _("to-dos")
        ordering = ["done_at", "due_at"]
        default_permissions = ()
        indexes = [
            models.Index(fields=["owner", "done_at", "due_at"], name="todo_owner_due_idx"),
            # Open to-dos of a record, read whenever it changes hands (todos_follow_record).
            models.Index(
                fields=["target_type", "target_id"], name="todo_open_target_idx", condition=Q(done_at__isnull=True)
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("workspace:todo_list") + f"#todo-{self.pk}"

    @classmethod
    def scope_queryset(cls, queryset, user, action):
        return queryset.filter(owner=user)

    def clean(self):
        if self.remind_at and self.due_at and self.remind_at > self.due_at:
            raise ValidationError({"remind_at": _("The reminder must come before the due time.")})

    @property
    def overdue(self):
        return self.done_at is None and self.due_at < timezone.now()
