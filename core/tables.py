import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


class CrmTable(tables.Table):
    pk = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"data-select-all": "1", "aria-label": _("Select all")},
            "td__input": {"name": "pk", "form": "bulk-form"},
        },
    )

    class Meta:
        attrs = {"class": "table table-vcenter card-table table-striped"}
        template_name = "generic/_table.html"
        orderable = True


class LinkColumn(tables.Column):
    """First column: links to the detail page."""

    def render(self, value, record):
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
