import functools

import django_tables2 as tables
import django_tables2.utils
from django.db import models
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tables2.columns.base import library

# django-tables2 calls inspect.signature() for every cell it renders (~0.5 ms each on this
# machine); the result only depends on the function, so cache it per function.
_signature = django_tables2.utils.signature


@functools.lru_cache(maxsize=4096)
def _cached_signature(fn, bound):
    return _signature(fn)


def fast_signature(fn):
    func = getattr(fn, "__func__", None)
    if func is None:
        return _cached_signature(fn, False)
    args, keywords = _cached_signature(func, True)
    return (args[1:] if args else args), keywords  # drop self, as inspect does for bound methods


django_tables2.utils.signature = fast_signature


@library.register
class FastDateTimeColumn(tables.Column):
    """Date/time cells without a template render per cell (tables2's DateTimeColumn renders one)."""

    def render(self, value):
        if isinstance(value, models.Model):
            return str(value)
        if hasattr(value, "hour"):
            value = timezone.localtime(value) if timezone.is_aware(value) else value
            return value.strftime("%Y-%m-%d %H:%M")
        return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else value

    @classmethod
    def from_field(cls, field, **kwargs):
        if isinstance(field, models.DateField):  # DateTimeField is a DateField
            return cls(**kwargs)
        return None


class CrmTable(tables.Table):
    pk = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"data-select-all": "1", "aria-label": _("Select all")},
            "td__input": {"name": "pk", "form": "bulk-form"},
        },
    )

    # Many-to-many fields the table loads itself for its page (see prepare_records) instead of
    # the list queryset's prefetch_related, which builds a manager and a queryset per row.
    page_m2m = ()

    class Meta:
        attrs = {"class": "table table-vcenter card-table table-striped"}
        template_name = "generic/_table.html"
        orderable = True

    def prepare_records(self, records):
        """Set `record.page_<field>` (a list) for each field of `page_m2m`: two queries a field."""
        model = self._meta.model
        pks = [r.pk for r in records]
        for name in self.page_m2m:
            field = model._meta.get_field(name)
            through = field.remote_field.through
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            pairs = list(through.objects.filter(**{f"{source}__in": pks}).values_list(f"{source}_id", f"{target}_id"))
            related = field.related_model
            # In the related model's own order, as the manager's .all() gives them.
            targets = related._base_manager.filter(pk__in={t for _s, t in pairs}).order_by(*related._meta.ordering)
            position = {obj.pk: (i, obj) for i, obj in enumerate(targets)}
            by_record = {}
            for source_pk, target_pk in pairs:
                by_record.setdefault(source_pk, []).append(position[target_pk])
            for record in records:
                setattr(record, f"page_{name}", [obj for _i, obj in sorted(by_record.get(record.pk, []))])

    @staticmethod
    def m2m_items(record, name):
        """The related objects of `record`: the page's prepared list, else the manager's."""
        items = getattr(record, f"page_{name}", None)
        return items if items is not None else getattr(record, name).all()


class LinkColumn(tables.Column):
    """First column: links to the detail page."""

    def render(self, value, record):
        if hasattr(value, "hour"):
            value = FastDateTimeColumn.render(self, value)
        url = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
        return format_html('<a href="{}">{}</a>', url, value) if url else value


def table_for(config):
    fields = list(config.list_fields)
    attrs = {}
    if fields:
        attrs[fields[0]] = LinkColumn(
            verbose_name=config.model._meta.get_field(fields[0]).verbose_name if "__" not in fields[0] else None
        )
    meta = type(
        "Meta",
        (CrmTable.Meta,),
        {"model": config.model, "fields": ("pk", *fields), "sequence": ("pk", *fields)},
    )
    attrs["Meta"] = meta
    return type(f"{config.model.__name__}Table", (CrmTable,), attrs)
