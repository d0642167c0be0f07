from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import CRM_PERMISSIONS
from core.models import TimeStampedModel, VersionedModel


def _bilingual(zh, en):
    return (en or zh) if (get_language() or "").startswith("en") else (zh or en)


class DictType(TimeStampedModel, VersionedModel):
    """A dictionary (数据字典), e.g. customer level; its items are the choices."""

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


class DictItemQuerySet(models.QuerySet):
    def of(self, type_code):
        return self.filter(type__code=type_code, enabled=True)


class DictItem(TimeStampedModel, VersionedModel):
    type = models.ForeignKey(DictType, verbose_name=_("dictionary"), on_delete=models.PROTECT, related_name="items")
    code = models.CharField(_("code"), max_length=50)
    label_zh = models.CharField(_("Chinese label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)

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

    def validate_unique(self, exclude=None):
        # Say which code clashes, in the user's language, instead of the generic constraint text.
        if (
            self.type_id
            and self.code
            and DictItem.objects.filter(type_id=self.type_id, code=self.code).exclude(pk=self.pk).exists()
        ):
            raise ValidationError(
                {"code": _("This dictionary already has an item with code “%(code)s”.") % {"code": self.code}}
            )
        super().validate_unique(exclude=exclude)

    @classmethod
    def import_choices(cls, field):
        return []


class Region(TimeStampedModel, VersionedModel):
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
        if self.parent_id:
            if self.parent.level >= self.level:
                raise ValidationError({"parent": _("The parent must be a higher level than the region itself.")})
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

    @property
    def typed_value(self):
        if self.kind == self.Kind.INTEGER:
            return int(self.value or 0)
        if self.kind == self.Kind.BOOLEAN:
            return self.value in {"1", "true"}
        if self.kind == self.Kind.IMAGE:
            return self.image.url if self.image else ""
        return self.value
