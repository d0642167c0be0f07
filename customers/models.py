from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import CRM_PERMISSIONS, BusinessModel, OwnedModel, ScopedModel, TimeStampedModel, unindexed
from core.scopes import owned_scope_q

from .validators import validate_mobile, validate_phone, validate_postal_code, validate_qq


def dict_fk(type_code, verbose_name, **options):
    return models.ForeignKey(
        "basedata.DictItem",
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"type__code": type_code, "enabled": True},
        **options,
    )


def region_fk(level, verbose_name):
    return models.ForeignKey(
        "basedata.Region",
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": level},
    )


class Tag(TimeStampedModel):
    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    class Color(models.TextChoices):
        BLUE = "blue", _("Blue")
        GREEN = "green", _("Green")
        ORANGE = "orange", _("Orange")
        RED = "red", _("Red")
        PURPLE = "purple", _("Purple")
        GRAY = "secondary", _("Gray")

    name = models.CharField(_("name"), max_length=30, unique=True)
    color = models.CharField(_("colour"), max_length=12, choices=Color.choices, default=Color.BLUE)

    CHOICES_FOR_ALL_USERS = True

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        default_permissions = CRM_PERMISSIONS

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:tag", args=[self.pk])


class Customer(BusinessModel, OwnedModel):
    class Review(models.TextChoices):
        APPROVED = "approved", _("Approved")
        PENDING = "pending", _("Pending first review")
        SECOND = "second", _("Pending second review")
        RETURNED = "returned", _("Returned for changes")

    AUTOCOMPLETE = True  # a million rows: dropdowns search (core/views/autocomplete.py), never list them all

    code = models.CharField(_("customer code"), max_length=40, editable=False)
    name = models.CharField(_("customer name"), max_length=50)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    name_key = models.CharField(max_length=120, editable=False, default="")
    customer_type = dict_fk("customer_type", _("customer type"))
    level = dict_fk("customer_level", _("level"), db_index=False)  # customer_level_prov_idx leads with it
    status = dict_fk("customer_status", _("status"))
    source = dict_fk("customer_source", _("source"))
    credit_rating = dict_fk("credit_rating", _("credit rating"))
    industry = dict_fk("industry", _("industry"))
    ownership = dict_fk("ownership", _("ownership"))
    scale = dict_fk("company_scale", _("company size"))
    capital_band = dict_fk("capital_band", _("registered capital"))
    revenue_band = dict_fk("revenue_band", _("annual revenue"))
    province = region_fk(1, _("province"))
    city = region_fk(2, _("city"))
    district = region_fk(3, _("district"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True, validators=[validate_postal_code])
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    fax = models.CharField(_("fax"), max_length=30, blank=True, validators=[validate_phone])
    email = models.EmailField(_("email"), max_length=80, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    qq = models.CharField(_("QQ"), max_length=20, blank=True, validators=[validate_qq])
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    remark = models.TextField(_("remark"), max_length=500, blank=True)
    in_pool = models.BooleanField(_("in public pool"), default=False)
    pool_entered_at = models.DateTimeField(_("entered pool at"), null=True, blank=True, editable=False)
    pool_reason = models.CharField(_("pool reason"), max_length=200, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, editable=False)
    recycle_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_followup_at = models.DateTimeField(_("last follow-up"), null=True, blank=True, db_index=True, editable=False)
    next_followup_at = models.DateTimeField(_("next follow-up"), null=True, blank=True, editable=False)
    review_status = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.APPROVED, editable=False
    )
    review_comment = models.CharField(_("review comment"), max_length=300, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    search_text = models.TextField(editable=False, default="")
    # Composite indexes below lead with these: their own single-column indexes only slowed writes.
    owner = unindexed(OwnedModel, "owner")
    department = unindexed(OwnedModel, "department")
    created_at = unindexed(BusinessModel, "created_at")
    deleted_at = unindexed(BusinessModel, "deleted_at")

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        default_permissions = (*CRM_PERMISSIONS, "purge")
        permissions = [
            ("assign_customer", _("Assign customers from the pool")),
            ("transfer_customer", _("Transfer customers to another owner")),
            ("claim_customer", _("Claim customers from the pool")),
            ("release_customer", _("Release customers to the pool")),
            ("save_duplicate_customer", _("Save a customer despite a duplicate warning")),
            ("merge_customer", _("Merge customers")),
            ("review_customer", _("Review customers")),
        ]
        indexes = [
            models.Index(fields=["deleted_at", "in_pool", "-created_at"], name="customer_list_idx"),
            # "Mine" and own-records scopes read one owner's live customers newest first. With
            # deleted_at as a key column instead of the condition, the planner walked the
            # newest-first index and filtered (300 ms when the newest rows were someone else's).
            models.Index(
                fields=["owner", "-created_at"], condition=models.Q(deleted_at__isnull=True), name="customer_owner_idx"
            ),
            models.Index(
                fields=["department", "-created_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="customer_dept_idx",
            ),
            # Filtered lists (level, province, owner) read it newest first and stop after a page.
            models.Index(
                fields=["level", "province", "owner", "-created_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="customer_level_prov_idx",
            ),
            models.Index(fields=["in_pool", "last_followup_at"], name="customer_pool_idx"),
            # The default list (newest first, live rows) reads this in order and stops after a page.
            models.Index(
                fields=["-created_at", "-id"], condition=models.Q(deleted_at__isnull=True), name="customer_recent_idx"
            ),
            # Equality lookups only (duplicate check, import): no text-pattern twins.
            models.Index(fields=["name_key"], name="customer_name_key_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["mobile"], name="customer_mobile_idx"),
            # Duplicate e-mails match whatever the case (iexact compares UPPER() on PostgreSQL).
            models.Index(Upper("email"), name="customer_email_upper_idx"),
            # Only the few records awaiting review are ever looked up by status.
            models.Index(
                fields=["review_status"], condition=~models.Q(review_status="approved"), name="customer_review_idx"
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["code"], name="customer_code_uniq")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:customer", args=[self.pk])

    @classmethod
    def search_queryset(cls, queryset, query):
        """Global search (Ctrl+K) uses the token index: pinyin and initials work there too."""
        from .search import search_customers

        return search_customers(queryset, query)

    @classmethod
    def scope_queryset(cls, queryset, user, action):
        q = owned_scope_q(user)
        if q is not None:
            queryset = queryset.filter(q)
        if not user.has_perm("customers.review_customer"):
            # Records awaiting review: only their creator and reviewers see them (PLAT-16).
            queryset = queryset.filter(Q(review_status=cls.Review.APPROVED) | Q(created_by=user))
        return queryset


class ChildOfCustomer(BusinessModel):
    """Records that belong to a customer are visible exactly where their customer is."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE)

    class Meta:
        abstract = True

    @classmethod
    def scope_queryset(cls, queryset, user, action):
        # The customer's own rule, whole, as a subquery: a copy of its data scope alone let the
        # contacts and follow-ups of a customer pending review show (issue 10), and so would any
        # rule added there later. The children's function permission is checked by visible_to;
        # deleted customers count too, so their children stay reachable in the recycle bin.
        parents = Customer.scope_queryset(Customer.all_objects.all(), user, action)
        if not parents.query.where:  # every customer: no subquery to run
            return queryset
        return queryset.filter(customer__in=parents.values("pk"))


class Contact(ChildOfCustomer):
    class Gender(models.TextChoices):
        MALE = "m", _("Male")
        FEMALE = "f", _("Female")
        UNKNOWN = "", _("Unknown")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    salutation = dict_fk("salutation", _("salutation"))
    position = models.CharField(_("position"), max_length=50, blank=True)
    department_name = models.CharField(_("department"), max_length=50, blank=True)
    office_phone = models.CharField(_("office phone"), max_length=30, blank=True, validators=[validate_phone])
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile], db_index=True)
    email = models.EmailField(_("email"), max_length=80, blank=True)
    qq = models.CharField(_("QQ"), max_length=20, blank=True, validators=[validate_qq])
    wechat = models.CharField(_("WeChat"), max_length=40, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    education = dict_fk("education", _("education"))
    hobbies = models.CharField(_("hobbies"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        default_permissions = (*CRM_PERMISSIONS, "purge")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_primary=True, deleted_at__isnull=True),
                name="contact_one_primary_per_customer",
            )
        ]
        indexes = [models.Index(fields=["customer", "deleted_at"], name="contact_customer_idx")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:contact", args=[self.pk])


class FollowUp(ChildOfCustomer):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="followups"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    channel = dict_fk("followup_channel", _("channel"))
    happened_at = models.DateTimeField(_("time"), db_index=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    summary = models.CharField(_("summary"), max_length=200)
    detail = models.TextField(_("detail"), max_length=5000, blank=True)
    next_followup_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    attachment = models.FileField(_("attachment"), upload_to="followups/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-happened_at", "-id"]
        default_permissions = (*CRM_PERMISSIONS, "purge")
        indexes = [models.Index(fields=["customer", "deleted_at", "-happened_at"], name="followup_customer_idx")]

    def __str__(self):
        return self.summary

    def get_absolute_url(self):
        return reverse("customers:followup", args=[self.pk])


class OwnerHistory(ScopedModel):
    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        ASSIGN = "assign", _("Assigned")
        CLAIM = "claim", _("Claimed")
        RELEASE = "release", _("Released to the pool")
        TRANSFER = "transfer", _("Transferred")
        RECYCLE = "recycle", _("Recycled to the pool")
        MERGE = "merge", _("Merged")

    customer = models.ForeignKey(  # ownerhistory_customer_idx leads with it
        Customer, on_delete=models.CASCADE, related_name="owner_history", db_index=False
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("owner history")
        verbose_name_plural = _("owner history")
        ordering = ["-created_at", "-id"]
        default_permissions = ()
        indexes = [models.Index(fields=["customer", "-created_at"], name="ownerhistory_customer_idx")]

    def __str__(self):
        return f"{self.get_action_display()} {self.customer_id}"


class ClaimLog(models.Model):
    """One row per claim: the daily quota counts these (cheap, indexed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    claimed_on = models.DateField(db_index=True)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["user", "claimed_on"], name="claimlog_user_day_idx")]

    def __str__(self):
        return f"{self.user_id} → {self.customer_id} {self.claimed_on}"
