"""Framework base models (no business models here) and the scoped queryset every module uses."""

import copy

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scopes import owned_scope_q

# Function permissions every business model declares (Meta.default_permissions), + "purge" for
# soft-deletable ones; workflow actions (assign, claim, approve…) are added per model.
CRM_PERMISSIONS = ("add", "change", "delete", "view", "export", "import")


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, action="view"):
        """Rows `user` may `action` (view/change/delete/...): function permission + data scope."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if getattr(self.model, "PERSONAL", False):
            # Personal records (notifications, to-dos): only ever their owner's, admins included.
            return self.model.scope_queryset(self, user, action)
        opts = self.model._meta
        if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
            return self.none()
        if user.is_superuser:
            return self
        return self.model.scope_queryset(self, user, action)

    def alive(self):
        return self.filter(deleted_at__isnull=True)

    # --- pages read in two steps ---------------------------------------------------------
    _page_by_ids = False

    def page_by_ids(self):
        """Read a slice of this queryset in two queries: the primary keys of the slice (filters,
        order and limit, no joins), then those rows with their select_related joins.

        A search matching thousands of rows otherwise joins every match to its related rows
        before the sort picks the fifty shown (SQLite does exactly that)."""
        clone = self._chain()
        clone._page_by_ids = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._page_by_ids = self._page_by_ids
        return clone

    def _fetch_all(self):
        if (
            self._result_cache is None
            and self._page_by_ids
            and self.query.is_sliced
            and self._iterable_class is models.query.ModelIterable
            and not self.query.annotations
            and not self.query.extra_select
        ):
            from .related import attach_related, split_relations

            ids = list(self.values_list("pk", flat=True))
            rows = self.model._base_manager.using(self.db).filter(pk__in=ids)
            direct, nested = split_relations(self.model, self.query.select_related)
            rows.query.select_related = nested or False
            names, defer = self.query.deferred_loading
            related_only = {}
            if names and not defer:  # only(): local fields here, the relations' ones below
                for name in names:
                    head, _sep, rest = name.partition("__")
                    if rest and head in direct:
                        related_only.setdefault(head, set()).add(rest)
                rows = rows.only(*{n for n in names if n.partition("__")[0] not in direct}, *direct)
            elif names:
                rows.query.deferred_loading = (frozenset(n for n in names if "__" not in n), defer)
            position = {pk: i for i, pk in enumerate(ids)}
            self._result_cache = sorted(rows, key=lambda row: position[row.pk])
            attach_related(self._result_cache, direct, only=related_only, using=self.db)
            if self._prefetch_related_lookups and not self._prefetch_done:
                self._prefetch_related_objects()
            return
        super()._fetch_all()

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    pass


class AliveManager(ScopedManager):
    """Default manager of soft-deletable models: deleted rows only through `all_objects`."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class ScopedModel(models.Model):
    """Root of every CRM model: gives `.objects.visible_to(user, action)`."""

    # True when scope_queryset() narrows rows differently per action. While it is False, a row
    # the user may view they may also change or delete exactly when they hold that function
    # permission, and a detail page needs no query to decide which buttons to show.
    SCOPE_BY_ACTION = False

    # The model's data-scope decision, checked by `core.checks.data_scopes`: "owner" (OwnedModel),
    # "global" (the function permission alone decides: lookup tables), or a scope_queryset() of
    # its own (derived from a parent, personal). None = undecided, which the check refuses for
    # business and registered models: a forgotten scope must fail `manage.py check`, not leak.
    DATA_SCOPE = None

    objects = ScopedManager()

    class Meta:
        abstract = True

    @classmethod
    def scope_queryset(cls, queryset, user, action):
        # Not owned: function permission alone decides.
        return queryset


class TimeStampedModel(ScopedModel):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Optimistic locking: writers send back the version they read; a mismatch is a conflict."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AliveManager()
    all_objects = ScopedManager()

    class Meta:
        abstract = True


class OwnedModel(ScopedModel):
    """A record with an owner (负责人) and a department: subject to data scopes.

    A ScopedModel itself, so its scope_queryset() comes before ScopedModel's in every method
    resolution order: `class X(BusinessModel, OwnedModel)` and `class X(OwnedModel, BusinessModel)`
    are both owner-scoped."""

    DATA_SCOPE = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        settings.CRM_DEPARTMENT_MODEL,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    @classmethod
    def scope_queryset(cls, queryset, user, action):
        q = owned_scope_q(user)
        return queryset if q is None else queryset.filter(q)


def unindexed(model, name):
    """A copy of `model`'s inherited field `name` without an index of its own.

    For a large table whose composite indexes already lead with the field: every index costs
    every insert (a customer import writes 100,000 rows), so the single-column one must earn
    its keep.
    """
    field = copy.deepcopy(model._meta.get_field(name))  # as Django copies inherited fields
    field.db_index = False
    return field


class BusinessModel(TimeStampedModel, VersionedModel, SoftDeleteModel):
    """Editable business record: timestamps, optimistic lock and recycle bin."""

    objects = AliveManager()
    all_objects = ScopedManager()

    class Meta:
        abstract = True


class CodeSequence(models.Model):
    """The last number handed out for a code prefix (e.g. ``KH202611-``).

    Reading the highest existing code instead raced (two writers got the same number) and
    compared as text, so ``-1000000`` sorted below ``-999999`` once the padding ran out.
    """

    prefix = models.CharField(max_length=80, primary_key=True)
    last = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.prefix}{self.last}"


class SavedView(TimeStampedModel):
    """A user's named filter on a list page (query string), optionally shared with everyone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    model_label = models.CharField(_("list"), max_length=100)
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    shared = models.BooleanField(_("shared"), default=False)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        indexes = [models.Index(fields=["model_label", "user"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "model_label", "name"], name="core_savedview_unique_name")
        ]

    def __str__(self):
        return self.name


class ImportJob(TimeStampedModel):
    """An upload being checked (dry run) or committed by a background job."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    model_label = models.CharField(_("data"), max_length=100, db_index=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    options = models.JSONField(_("options"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    created_rows = models.PositiveIntegerField(_("created"), default=0)
    updated_rows = models.PositiveIntegerField(_("updated"), default=0)
    skipped_rows = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name

    @property
    def percent(self):
        if not self.total_rows:
            return 100 if self.status in {self.Status.CHECKED, self.Status.DONE, self.Status.FAILED} else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def running(self):
        return self.status in {self.Status.PENDING, self.Status.CHECKING, self.Status.IMPORTING}


class Heartbeat(models.Model):
    """Last run of each periodic job; /readyz reads the queue's heartbeat from here."""

    name = models.CharField(max_length=60, primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
