from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import CRM_PERMISSIONS, ScopedQuerySet, TimeStampedModel, VersionedModel


def _bilingual(zh, en):
    return (en or zh) if (get_language() or "").startswith("en") else (zh or en)


class DictType(TimeStampedModel, VersionedModel):
    """A dictionary (数据字典), e.g. customer level; its items are the choices."""

    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    CHOICES_FOR_ALL_USERS = True

    class Meta:
        verbose_name = _("dictionary")
        verbose_name_plural = _("dictionaries")
        ordering = ["order", "code"]
        default_permissions = CRM_PERMISSIONS

    def __str__(self):
        return _bilingual(self.name, self.name_en)

    def get_absolute_url(self):
        return reverse("basedata:dicttype", args=[self.pk])

    @classmethod
    def import_choices(cls, field):
        # Import templates offer the dictionary codes in a dropdown; rows name a dictionary by code.
        return list(cls.objects.order_by("order", "code").values_list("code", flat=True))


class DictItemQuerySet(ScopedQuerySet):
    def of(self, type_code):
        """Enabled items of one dictionary: `DictItem.objects.of("customer_level")`."""
        return self.filter(type__code=type_code, enabled=True)


class DictItem(TimeStampedModel, VersionedModel):
    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    type = models.ForeignKey(DictType, verbose_name=_("dictionary"), on_delete=models.PROTECT, related_name="items")
    code = models.CharField(_("code"), max_length=50)
    label_zh = models.CharField(_("Chinese label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = DictItemQuerySet.as_manager()

    CHOICES_FOR_ALL_USERS = True

    class Meta:
        verbose_name = _("dictionary item")
        verbose_name_plural = _("dictionary items")
        ordering = ["type", "order", "code"]
        default_permissions = CRM_PERMISSIONS
        constraints = [models.UniqueConstraint(fields=["type", "code"], name="basedata_dictitem_unique_code")]
        indexes = [models.Index(fields=["type", "enabled", "order"])]

    def __str__(self):
        return _bilingual(self.label_zh, self.label_en)

    def get_absolute_url(self):
        return reverse("basedata:dictitem", args=[self.pk])

    def validate_constraints(self, exclude=None):
        # The (type, code) constraint answers on the code field and names the clashing code,
        # instead of Django's generic non-field text (once, not twice).
        exclude = set(exclude or ())
        errors = {}
        try:
            super().validate_constraints(exclude=exclude | {"code"})
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        if (
            not exclude & {"type", "code"}
            and self.type_id
            and self.code
            and DictItem.objects.filter(type_id=self.type_id, code=self.code).exclude(pk=self.pk).exists()
        ):
            errors.setdefault("code", []).append(
                ValidationError(
                    _("This dictionary already has an item with code “%(code)s”.") % {"code": self.code},
                    code="unique",
                )
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def import_choices(cls, field):
        """Dropdown of an import template column pointing at items of one dictionary (Chinese labels,
        which the import matches); none when the column is not limited to one dictionary."""
        limit = field.get_limit_choices_to() if field is not None else None
        if not limit:
            return []
        return list(cls.objects.complex_filter(limit).order_by("order", "code").values_list("label_zh", flat=True))


class Region(TimeStampedModel, VersionedModel):
    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    class Level(models.IntegerChoices):
        COUNTRY = 0, _("Country")
        PROVINCE = 1, _("Province")
        CITY = 2, _("City")
        DISTRICT = 3, _("District")

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)

    CHOICES_FOR_ALL_USERS = True

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["level", "code"]
        default_permissions = CRM_PERMISSIONS
        indexes = [models.Index(fields=["parent", "order", "code"])]

    def __str__(self):
        return _bilingual(self.name, self.name_en)

    def get_absolute_url(self):
        return reverse("basedata:region", args=[self.pk])

    def clean(self):
        if self.level not in self.Level.values:
            return  # the level field reports its own error
        # Country → province → city → district, one level at a time: the cascading dropdowns rely on it.
        if self.pk and self.children.exclude(level=self.level + 1).exists():
            raise ValidationError(
                {"level": _("The region has sub-regions that would no longer be one level below it.")}
            )
        if self.parent_id:
            if self.parent.level != self.level - 1:
                raise ValidationError(
                    {
                        "parent": _("A %(level)s must be placed directly under a %(parent_level)s.")
                        % {
                            "level": str(self.Level(self.level).label).lower(),
                            "parent_level": str(self.Level(max(self.level - 1, 0)).label).lower(),
                        }
                    }
                )
            node, seen = self.parent, set()
            while node is not None and node.pk not in seen:
                if self.pk and node.pk == self.pk:
                    raise ValidationError(
                        {"parent": _("A region cannot be placed under itself or its own sub-region.")}
                    )
                seen.add(node.pk)
                node = node.parent
        elif self.level != self.Level.COUNTRY:
            raise ValidationError({"parent": _("Only a country has no parent region.")})


class SystemParameter(TimeStampedModel, VersionedModel):
    DATA_SCOPE = "global"  # organisation-wide reference data: the function permission decides

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        INTEGER = "int", _("Whole number")
        BOOLEAN = "bool", _("Yes / no")
        IMAGE = "image", _("Image")

    key = models.SlugField(_("key"), max_length=60, unique=True)
    label = models.CharField(_("Chinese label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100)
    group = models.CharField(_("group"), max_length=40, default="general")
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.TEXT)
    value = models.CharField(_("value"), max_length=500, blank=True)
    image = models.FileField(_("image"), upload_to="parameters/", blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("system parameter")
        verbose_name_plural = _("system parameters")
        ordering = ["group", "key"]
        default_permissions = ("view", "change", "export")

    def __str__(self):
        return _bilingual(self.label, self.label_en)

    def get_absolute_url(self):
        return reverse("basedata:systemparameter", args=[self.pk])

    def clean(self):
        if self.kind == self.Kind.INTEGER:
            try:
                int(self.value)
            except (TypeError, ValueError):
                raise ValidationError({"value": _("Enter a whole number.")}) from None
        if self.kind == self.Kind.BOOLEAN and self.value not in {"0", "1", "true", "false"}:
            raise ValidationError({"value": _("Enter 1 (yes) or 0 (no).")})
        if self.key.endswith("_code_pattern"):
            # Customer, contract, order and ticket codes: only the known placeholders, checked on
            # every save (web form and API alike) so a pattern never fails at the next create.
            from core.sequences import validate_code_pattern

            try:
                validate_code_pattern(self.value)
            except ValidationError as e:
                raise ValidationError({"value": e.messages}) from None

    @property
    def typed_value(self):
        if self.kind == self.Kind.INTEGER:
            return int(self.value or 0)
        if self.kind == self.Kind.BOOLEAN:
            return self.value in {"1", "true"}
        if self.kind == self.Kind.IMAGE:
            return self.image.url if self.image else ""
        return self.value
