import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.tables import CrmTable, LinkColumn

from .models import Contact, Customer, FollowUp


def mask_phone(value):
    return f"{value[:3]}****{value[-4:]}" if value and len(value) >= 7 else ("****" if value else "")


def mask_email(value):
    if not value or "@" not in value:
        return value
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


class CustomerTable(CrmTable):
    name = LinkColumn(verbose_name=_("customer name"))
    tags = tables.Column(verbose_name=_("tags"), orderable=False, empty_values=())

    class Meta(CrmTable.Meta):
        model = Customer
        fields = (
            "pk",
            "code",
            "name",
            "level",
            "customer_type",
            "industry",
            "province",
            "owner",
            "last_followup_at",
            "tags",
            "created_at",
        )
        sequence = (
            "pk",
            "code",
            "name",
            "level",
            "customer_type",
            "industry",
            "province",
            "owner",
            "last_followup_at",
            "tags",
            "created_at",
        )
        order_by = ("-created_at",)

    def render_tags(self, record):
        return format_html_join(
            " ", '<span class="badge bg-{}-lt">{}</span>', ((t.color, t.name) for t in record.tags.all())
        )


class PoolTable(CrmTable):
    name = tables.Column(verbose_name=_("customer name"))
    # empty_values=(): render_phone runs for a customer with only a mobile number as well.
    phone = tables.Column(verbose_name=_("phone"), orderable=False, empty_values=())
    email = tables.Column(verbose_name=_("email"), orderable=False)
    actions = tables.TemplateColumn(template_name="customers/_pool_actions.html", verbose_name="", orderable=False)

    class Meta(CrmTable.Meta):
        model = Customer
        fields = (
            "pk",
            "code",
            "name",
            "level",
            "industry",
            "province",
            "phone",
            "email",
            "pool_entered_at",
            "pool_reason",
            "actions",
        )
        sequence = fields

    # Contact details stay masked while browsing the pool (CUS-8).
    def render_phone(self, value, record):
        return mask_phone(record.phone or record.mobile)

    def render_email(self, value):
        return mask_email(value)


class ContactTable(CrmTable):
    name = LinkColumn(verbose_name=_("name"))
    customer = tables.Column(linkify=True)

    class Meta(CrmTable.Meta):
        model = Contact
        fields = ("pk", "name", "customer", "position", "mobile", "email", "is_primary")


class FollowUpTable(CrmTable):
    summary = LinkColumn(verbose_name=_("summary"))
    customer = tables.Column(linkify=True)

    class Meta(CrmTable.Meta):
        model = FollowUp
        fields = ("pk", "happened_at", "customer", "channel", "summary", "next_followup_at", "created_by")
        sequence = fields


def owner_badge(user):
    return format_html('<span class="badge">{}</span>', user) if user else ""
