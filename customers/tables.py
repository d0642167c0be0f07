import django_tables2 as tables
from django.utils import timezone
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
    page_m2m = ("tags",)

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
        order_by = ("-created_at", "-id")

    def render_tags(self, record):
        return format_html_join(
            " ", '<span class="badge bg-{}-lt">{}</span>', ((t.color, t.name) for t in self.m2m_items(record, "tags"))
        )


NOWRAP = {"td": {"class": "text-nowrap"}, "th": {"class": "text-nowrap"}}
# Dictionary labels: English may wrap between words, Chinese never inside a word (crm.css).
KEEP_WORDS = {"td": {"class": "crm-keep-words"}, "th": {"class": "text-nowrap"}}


class PoolTable(CrmTable):
    """The public pool, laid out to fit a 1280 px screen: the code sits under the name, phone
    and email share one cell, the reason sits under the date; short cells never wrap, and
    dictionary labels wrap only between words."""

    name = tables.Column(verbose_name=_("customer name"), attrs={"td": {"class": "crm-pool-name"}})
    level = tables.Column(attrs=KEEP_WORDS)
    industry = tables.Column(attrs=KEEP_WORDS)
    province = tables.Column(attrs=NOWRAP)
    # empty_values=(): the cell renders for a customer with only a mobile number as well.
    contact = tables.Column(
        verbose_name=_("phone / email"), orderable=False, empty_values=(), accessor="phone", attrs=NOWRAP
    )
    pool_entered_at = tables.Column(verbose_name=_("in the pool since"), attrs={"th": {"class": "text-nowrap"}})
    actions = tables.TemplateColumn(
        template_name="customers/_pool_actions.html", verbose_name="", orderable=False, attrs=NOWRAP
    )

    class Meta(CrmTable.Meta):
        model = Customer
        attrs = {"class": "table table-vcenter card-table table-striped crm-pool-table"}
        fields = ("pk", "name", "level", "industry", "province", "contact", "pool_entered_at", "actions")
        sequence = fields

    def render_name(self, value, record):
        return format_html('{}<div class="small text-secondary text-nowrap">{}</div>', value, record.code)

    # Contact details stay masked while browsing the pool (CUS-8).
    def render_contact(self, record):
        phone, email = mask_phone(record.phone or record.mobile), mask_email(record.email)
        if phone and email:
            return format_html('{}<div class="small text-secondary">{}</div>', phone, email)
        return phone or email or "—"

    def render_pool_entered_at(self, value, record):
        when = timezone.localtime(value).strftime("%Y-%m-%d") if value else "—"
        if not record.pool_reason:
            return when
        return format_html(
            '<span class="text-nowrap">{}</span><div class="small text-secondary text-truncate crm-pool-reason"'
            ' title="{}">{}</div>',
            when,
            record.pool_reason,
            record.pool_reason,
        )


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
