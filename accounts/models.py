import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, OuterRef, Q, Subquery, When
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, IsNull
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.models import CRM_PERMISSIONS, ScopedModel, ScopedQuerySet, TimeStampedModel, VersionedModel  # noqa: F401 (re-exported)
from core.scopes import DataScope


class Department(TimeStampedModel, VersionedModel):
    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=30, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path "/1/4/": sub-department scopes become one indexed prefix filter.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="/")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    CHOICES_FOR_ALL_USERS = True  # any user may pick a department in a form

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path", "order", "name"]
        default_permissions = CRM_PERMISSIONS

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:department", args=[self.pk])

    @property
    def depth(self):
        return max(self.path.count("/") - 2, 0)

    def clean(self):
        if self.parent_id and self.pk:
            node = self.parent
            while node is not None:
                if node.pk == self.pk:
                    raise ValidationError(
                        {"parent": _("A department cannot be placed under itself or its own sub-department.")}
                    )
                node = node.parent


class Position(TimeStampedModel, VersionedModel):
    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=30, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    CHOICES_FOR_ALL_USERS = True

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["code"]
        default_permissions = CRM_PERMISSIONS

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:position", args=[self.pk])


class Role(TimeStampedModel, VersionedModel):
    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=30, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    data_scope = models.PositiveSmallIntegerField(_("data scope"), choices=DataScope.choices, default=DataScope.OWN)
    permissions = models.ManyToManyField(
        Permission, verbose_name=_("function permissions"), blank=True, related_name="crm_roles"
    )

    CHOICES_FOR_ALL_USERS = False

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]
        default_permissions = CRM_PERMISSIONS

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:role", args=[self.pk])

    def permission_list(self):
        """Permissions with their content types in one query (the detail page lists app labels)."""
        return self.permissions.select_related("content_type").order_by("content_type__app_label", "codename")


class CrmUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser, ScopedModel):
    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    class Language(models.TextChoices):
        ZH = "zh-hans", "简体中文"
        EN = "en", "English"

    name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("mobile"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    position = models.ForeignKey(
        Position,
        verbose_name=_("position"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True, related_name="users")
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH)
    must_change_password = models.BooleanField(_("must change password at next login"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CrmUserManager()
    CHOICES_FOR_ALL_USERS = True  # picking an owner/assignee needs the colleague list

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        default_permissions = CRM_PERMISSIONS

    def __str__(self):
        return self.name or self.username

    def get_absolute_url(self):
        return reverse("accounts:user", args=[self.pk])

    @cached_property
    def role_list(self):
        """The user's roles (data scope and the header both need them): prefetched ones in a
        list of users, else from the auth snapshot."""
        if "roles" in getattr(self, "_prefetched_objects_cache", {}):
            return list(self.roles.all())
        return self.auth_snapshot()["roles"]

    def get_session_auth_hash(self):
        # A user read from the auth cache carries the hash instead of the password hash it
        # was computed from (accounts/auth_cache.py cached_user).
        known = self.__dict__.get("_session_auth_hash")
        if known is not None and "password" not in self.__dict__:
            return known
        return super().get_session_auth_hash()

    def auth_snapshot(self):
        from .auth_cache import snapshot

        return snapshot(self)

    @property
    def crm_department(self):
        """The user's department as the data scope sees it (from the auth snapshot)."""
        return self.auth_snapshot()["department"]

    @property
    def role_names(self):
        return ", ".join(str(r) for r in self.role_list)

    def clean(self):
        super().clean()
        if self.manager_id and self.pk:
            node, seen = self.manager, set()
            while node is not None and node.pk not in seen:
                if node.pk == self.pk:
                    raise ValidationError({"manager": _("A user cannot report to themselves or to their own report.")})
                seen.add(node.pk)
                node = node.manager


# Holders see every entry: those of objects outside their data scope, purged objects and other
# users' logins and exports. Everyone else sees an object's entries while they may view it.
AUDIT_ALL_PERMISSION = "accounts.view_all_audit"


def _object_pk(content_type_id):
    """The outer entry's object_id as an integer primary key, NULL for other types and for entries
    without an object: CASE keeps the cast from ever seeing another type's id or ""."""
    return Case(
        When(
            Q(Exact(OuterRef("content_type_id"), content_type_id)) & ~Q(Exact(OuterRef("object_id"), "")),
            then=Cast(OuterRef("object_id"), models.BigIntegerField()),
        ),
        default=None,
    )


class AuditEntryQuerySet(ScopedQuerySet):
    def for_object(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))

    def visible_to(self, user, action="view"):
        """Entries `user` may `action` (view/export): the audit permission, then the data scope.

        Without AUDIT_ALL_PERMISSION an entry about an object of a registered model is visible
        while its object is in `Model.objects.visible_to(user, "view")`: deleted ones as the
        recycle bin shows them (change permission), purged ones never. Entries without an
        object (exports, imports), about models outside the registry (API tokens, to-dos) and
        about the user's own account (logins) are visible to the user who made them.
        """
        qs = super().visible_to(user, action)
        if qs.query.is_empty() or user.has_perm(AUDIT_ALL_PERMISSION):
            return qs
        return qs.filter(_audit_scope_q(user))


def _concrete_pk(model):
    pk = model._meta.pk
    while pk.is_relation:  # multi-table inheritance: the parent's key
        pk = pk.target_field
    return pk


def _audit_scope_q(user):
    from core.registry import configs

    registered, allowed = [], Q(pk__in=[])
    for config in configs():
        model = config.model
        if model is AuditEntry:
            continue  # the audit log's own entries are its exports: object-less, the actor's
        content_type_id = ContentType.objects.get_for_model(model).pk
        registered.append(content_type_id)
        if not user.has_perm(config.perm("view")):
            continue  # no subquery for a type the user cannot see at all
        if config.soft_delete:
            # The recycle bin lists deleted rows in scope to those who may change the model.
            rows = model.all_objects.all()
            if not user.has_perm(config.perm("change")):
                rows = rows.alive()
        else:
            rows = model._default_manager.all()
        rows = rows.visible_to(user, "view")
        if rows.query.is_empty():
            continue
        if isinstance(_concrete_pk(model), models.IntegerField):
            # One primary-key probe per entry read, and a page reads ~50 of them. A scalar
            # subquery, not EXISTS or IN: PostgreSQL turns those into a hash of every id in
            # scope, built per request (a sales manager's tree of 200,000 customers: 140,000
            # ids, ~0.5 s) before the first entry is read.
            # No `content_type_id = …` beside it (its CASE yields NULL for other types): with
            # one per type, SQLite answered the OR with an index search per type, read every
            # entry of each and sorted them all for a page of fifty.
            probe = rows.order_by().filter(pk=_object_pk(content_type_id)).values("pk")[:1]
            allowed |= Q(IsNull(Subquery(probe), False))
        else:
            text_pks = rows.order_by().annotate(_pk_text=Cast("pk", models.CharField())).values("_pk_text")
            allowed |= Q(content_type_id=content_type_id, object_id__in=text_pks)
    # Their own logins, logouts and password changes are entries about their own user record.
    myself = Q(content_type_id=ContentType.objects.get_for_model(user).pk, object_id=str(user.pk))
    own = Q(object_id="") | ~Q(content_type_id__in=registered) | myself
    return allowed | (Q(actor_id=user.pk) & own)


class AuditEntry(ScopedModel):
    DATA_SCOPE = "custom"  # AuditEntryQuerySet.visible_to: the audited object's own scope

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        RESTORE = "restore", _("Restored")
        PURGE = "purge", _("Purged")
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOCKED_OUT = "locked_out", _("Locked out")
        PASSWORD = "password", _("Password changed")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")
        TOKEN = "token", _("API token")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # audit_actor_idx leads with it
    )
    actor_repr = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    source = models.CharField(_("channel"), max_length=12, blank=True)
    action = models.CharField(_("action"), max_length=20)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # audit_object_idx leads with it
    )
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view", "export")
        permissions = [("view_all_audit", _("Can view the whole audit log, whatever the data scope"))]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"], name="audit_object_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
            # Every write adds an entry (an import 100,000): equality filter only, no pattern twin.
            models.Index(fields=["action"], name="audit_action_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action} {self.object_repr}"

    def get_absolute_url(self):
        return reverse("accounts:auditentry", args=[self.pk])

    @property
    def action_label(self):
        try:
            return self.Action(self.action).label
        except ValueError:
            return self.action


def _hash_token(key):
    # Tokens are random 32-byte values, so a fast hash is enough and keeps API calls cheap
    # (architecture §9: never run the slow password hash on token requests).
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(ScopedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60, default="API")
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    # Set at creation from the api_token_days parameter: a changed parameter applies to new tokens.
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        default_permissions = ()

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def generate(cls):
        key = "gx_" + secrets.token_urlsafe(32)
        return key, key[:8], _hash_token(key)

    @classmethod
    def find(cls, key):
        """The unrevoked token of `key`, expired or not (authentication says which)."""
        return cls.objects.select_related("user").filter(key_hash=_hash_token(key), revoked_at__isnull=True).first()

    @property
    def expired(self):
        return self.expires_at <= timezone.now()
