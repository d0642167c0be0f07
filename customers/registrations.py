from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.navigation import MenuItem, register_group, register_item
from core.registry import ModelConfig, Tab, register
from core.related import attach_related
from core.timeline import register_change_label, register_describer

from .api.serializers import ContactSerializer, FollowUpSerializer
from .filtersets import ContactFilterSet, CustomerFilterSet, FollowUpFilterSet, TagFilterSet
from .forms import CUSTOMER_FIELDS, ContactForm, CustomerForm, FollowUpForm
from .importing import CustomerImportForm, run_customer_import
from .models import Contact, Customer, FollowUp, Tag
from .selectors import no_followup_since
from .services import contact_service, customer_service, followup_service
from .tables import ContactTable, CustomerTable, FollowUpTable

register_group("customers", _("Customers"), "ti ti-building", 20)
register_item(
    "customers",
    MenuItem(
        _("Public pool"),
        "customers:pool",
        ("customers.claim_customer", "customers.assign_customer"),  # as selectors.pool_queryset
        "ti ti-lifebuoy",
        20,
    ),
)
register_item("customers", MenuItem(_("Customer care"), "customers:care", "customers.view_customer", "ti ti-gift", 60))
register_item(
    "customers",
    MenuItem(_("Customer overview"), "customers:overview", "customers.view_customer", "ti ti-chart-pie", 70),
)


def _start_of_day():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


SAVED_VIEWS = {
    "mine": (_("Mine"), lambda qs, user: qs.filter(owner=user)),
    "my_department": (_("My department"), lambda qs, user: qs.filter(department_id=user.department_id)),
    "today": (_("Created today"), lambda qs, user: qs.filter(created_at__gte=_start_of_day())),
    "week": (
        _("This week"),
        lambda qs, user: qs.filter(created_at__gte=_start_of_day() - timedelta(days=_start_of_day().weekday())),
    ),
    "month": (_("This month"), lambda qs, user: qs.filter(created_at__gte=_start_of_day().replace(day=1))),
    "recent": (
        _("Recently updated"),
        lambda qs, user: qs.filter(updated_at__gte=timezone.now() - timedelta(days=7)).order_by("-updated_at"),
    ),
    "stale": (_("No follow-up for 30 days"), lambda qs, user: no_followup_since(qs, 30)),
    "pending": (_("Pending review"), lambda qs, user: qs.exclude(review_status=Customer.Review.APPROVED)),
}


# Tab rows read their lookups (salutations, channels, users) with attach_related: kept
# reference rows on a warm server, and no joins of three or four wide tables to compile.
def _contacts_tab(obj, user):
    rows = list(obj.contacts.all())
    attach_related(rows, ["salutation"])
    return {"rows": rows, "can_add": user.has_perm("customers.add_contact")}


def _followups_tab(obj, user):
    rows = list(obj.followups.all()[:100])
    attach_related(rows, ["channel", "contact", "created_by"])
    return {"rows": rows, "can_add": user.has_perm("customers.add_followup")}


def _history_tab(obj, user):
    rows = list(obj.owner_history.all()[:100])
    attach_related(rows, ["from_owner", "to_owner", "actor"])
    return {"rows": rows}


def _attachments_tab(obj, user):
    return {"rows": obj.followups.exclude(attachment="").only("attachment", "summary", "happened_at")[:100]}


def _detail_context(obj, user):
    from .registry import key_figures

    figures = []
    for provider in key_figures:
        figures.extend(provider(obj))
    from .selectors import customer_timeline

    return {"key_figures": figures, "timeline": customer_timeline(obj)}


def _describe_customer_entry(item):
    """Timeline headings for the pool and merge workflow (customers/services.py audit entries)."""
    message, changes = item.entry.message or "", item.raw_changes
    if item.action != "update" and "import" not in changes:
        return
    if message == "claim":
        item.heading, item.message = str(_("Claimed from the public pool")), ""
    elif message == "assign":
        item.heading, item.message = str(_("Assigned from the public pool")), ""
    elif message.startswith("release: "):
        item.heading, item.message = str(_("Released to the public pool")), message.removeprefix("release: ")
    elif "merged" in changes:
        item.heading, item.message = str(_("Customers merged")), ""  # the message is a dict of moved rows
    elif "import" in changes:
        item.heading, item.message = str(_("Customer imported")), ""  # "import #<job>"


register_change_label("merged", _("merged customer"))
register_describer(Customer, _describe_customer_entry)

register(
    ModelConfig(
        model=Customer,
        detail_context=_detail_context,
        url_base="customers",
        list_fields=[
            "code",
            "name",
            "level",
            "customer_type",
            "industry",
            "province",
            "owner",
            "last_followup_at",
            "created_at",
        ],
        form=CustomerForm,
        form_fields=CUSTOMER_FIELDS,
        detail_fields=[
            "code",
            "name",
            "short_name",
            "customer_type",
            "level",
            "status",
            "source",
            "credit_rating",
            "industry",
            "ownership",
            "scale",
            "capital_band",
            "revenue_band",
            "province",
            "city",
            "district",
            "address",
            "postal_code",
            "phone",
            "mobile",
            "fax",
            "email",
            "website",
            "qq",
            "legal_representative",
            "founded_on",
            "remark",
            "owner",
            "department",
            "review_status",
            "created_by",
            "created_at",
            "updated_at",
        ],
        export_fields=[
            "code",
            "name",
            "short_name",
            "customer_type",
            "level",
            "status",
            "source",
            "credit_rating",
            "industry",
            "ownership",
            "scale",
            "province",
            "city",
            "district",
            "address",
            "postal_code",
            "phone",
            "mobile",
            "email",
            "website",
            "qq",
            "owner",
            "department",
            "tags",
            "last_followup_at",
            "created_at",
        ],
        import_fields=[
            "name",
            "short_name",
            "customer_type",
            "level",
            "status",
            "source",
            "credit_rating",
            "industry",
            "ownership",
            "scale",
            "province",
            "city",
            "district",
            "address",
            "postal_code",
            "phone",
            "mobile",
            "fax",
            "email",
            "website",
            "qq",
            "legal_representative",
            "remark",
        ],
        import_key="name",
        import_form=CustomerImportForm,
        import_runner=run_customer_import,
        bulk_edit_fields=["customer_type", "level", "status", "source", "industry", "credit_rating"],
        search_fields=["name", "short_name", "code", "phone", "mobile"],
        filterset=CustomerFilterSet,
        table=CustomerTable,
        service=customer_service,
        select_related=["level", "customer_type", "industry", "province", "owner"],
        prefetch_related=["tags"],
        list_only=[
            "code",
            "name",
            "last_followup_at",
            "created_at",
            *(f"{fk}__{f}" for fk in ("level", "customer_type", "industry") for f in ("label_zh", "label_en")),
            "province__name",
            "province__name_en",
            "owner__name",
            "owner__username",
        ],
        ordering=["-created_at", "-id"],
        menu_group="customers",
        menu_icon="ti ti-building-store",
        menu_order=10,
        saved_views=SAVED_VIEWS,
        bulk_actions=[
            (_("Transfer owner"), "/customers/customers/bulk/transfer/", "customers.transfer_customer"),
            (_("Tag"), "/customers/customers/bulk/tag/", "customers.change_customer"),
            (_("Release to pool"), "/customers/customers/bulk/release/", "customers.release_customer"),
        ],
        detail_template="customers/customer_detail.html",
        edit_template="customers/customer_edit.html",
        tabs=[
            Tab("contacts", _("Contacts"), "customers/tabs/contacts.html", _contacts_tab, order=10),
            Tab("followups", _("Follow-ups"), "customers/tabs/followups.html", _followups_tab, order=20),
            Tab("history", _("Owner history"), "customers/tabs/history.html", _history_tab, order=80),
            Tab("attachments", _("Attachments"), "customers/tabs/attachments.html", _attachments_tab, order=90),
        ],
    )
)
register(
    ModelConfig(
        model=Contact,
        url_base="contacts",
        list_fields=["name", "customer", "position", "mobile", "email", "is_primary"],
        form=ContactForm,
        form_fields=ContactForm.Meta.fields,
        detail_fields=ContactForm.Meta.fields,
        import_fields=[
            "customer",
            "name",
            "gender",
            "position",
            "office_phone",
            "mobile",
            "email",
            "qq",
            "wechat",
            "birthday",
            "notes",
        ],
        search_fields=["name", "mobile", "email"],
        filterset=ContactFilterSet,
        table=ContactTable,
        service=contact_service,
        serializer=ContactSerializer,
        select_related=["customer"],
        ordering=["-created_at", "-id"],
        menu_group="customers",
        menu_icon="ti ti-address-book",
        menu_order=30,
    )
)
register(
    ModelConfig(
        model=FollowUp,
        url_base="followups",
        list_fields=["happened_at", "customer", "channel", "summary", "next_followup_at"],
        form=FollowUpForm,
        form_fields=FollowUpForm.Meta.fields,
        detail_fields=[
            "customer",
            "contact",
            "channel",
            "happened_at",
            "place",
            "summary",
            "detail",
            "next_followup_at",
            "attachment",
            "created_by",
        ],
        filterset=FollowUpFilterSet,
        table=FollowUpTable,
        service=followup_service,
        serializer=FollowUpSerializer,
        select_related=["customer", "channel", "created_by"],
        ordering=["-happened_at", "-id"],
        menu_group="customers",
        menu_icon="ti ti-message-dots",
        menu_order=40,
    )
)
register(
    ModelConfig(
        model=Tag,
        url_base="tags",
        list_fields=["name", "color"],
        form_fields=["name", "color"],
        detail_fields=["name", "color"],
        filterset=TagFilterSet,
        ordering=["name"],
        api_fields=["id", "name", "color"],
        menu_group="customers",
        menu_icon="ti ti-tags",
        menu_order=50,
    )
)
