from datetime import date, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .models import Contact, Customer


def pool_queryset(user):
    """Customers in the public pool; anyone who may claim or assign may browse them."""
    if not (user.has_perm("customers.claim_customer") or user.has_perm("customers.assign_customer")):
        return Customer.objects.none()
    return Customer.objects.filter(in_pool=True).select_related("level", "industry", "province", "city")


def duplicate_summary(user, matches):
    """Split duplicate matches into those the user may open and one-line summaries of the rest."""
    visible_ids = set(
        Customer.objects.visible_to(user).filter(pk__in=[m.pk for m in matches]).values_list("pk", flat=True)
    )
    visible = [m for m in matches if m.pk in visible_ids]
    hidden = [
        {
            "name": m.name,
            "owner": str(m.owner) if m.owner_id else "",
            "department": str(m.department) if m.department_id else "",
            "in_pool": m.in_pool,
        }
        for m in matches
        if m.pk not in visible_ids
    ]
    return visible, hidden


def _next_occurrence(d, today):
    try:
        this_year = d.replace(year=today.year)
    except ValueError:  # 29 February
        this_year = date(today.year, 3, 1)
    return this_year if this_year >= today else this_year.replace(year=today.year + 1)


def upcoming_care(user, *, today=None, days=7):
    """Birthdays of contacts and founding anniversaries of customers in the next `days` days."""
    today = today or timezone.localdate()
    window = {(today + timedelta(days=i)).strftime("%m-%d") for i in range(days + 1)}
    customers = Customer.objects.all() if user is None else Customer.objects.visible_to(user)
    contacts = Contact.objects.filter(customer__in=customers.values("pk"), birthday__isnull=False).select_related(
        "customer", "customer__owner"
    )
    items = []
    for c in contacts.iterator(chunk_size=2000):
        if c.birthday.strftime("%m-%d") in window:
            when = _next_occurrence(c.birthday, today)
            items.append(
                {
                    "date": when,
                    "kind": "birthday",
                    "label": f"{c.name} ({c.customer.name})",
                    "object": c,
                    "owner": c.customer.owner,
                }
            )
    for cu in customers.filter(founded_on__isnull=False).select_related("owner").iterator(chunk_size=2000):
        if cu.founded_on.strftime("%m-%d") in window:
            when = _next_occurrence(cu.founded_on, today)
            years = when.year - cu.founded_on.year
            items.append(
                {"date": when, "kind": "anniversary", "label": f"{cu.name} · {years}", "object": cu, "owner": cu.owner}
            )
    return sorted(items, key=lambda i: i["date"])


def overview(user, dimension):
    """Counts of the user's visible customers by a dictionary/region/owner dimension."""
    qs = Customer.objects.visible_to(user).filter(in_pool=False)
    field = {
        "level": "level__label_zh",
        "type": "customer_type__label_zh",
        "industry": "industry__label_zh",
        "source": "source__label_zh",
        "province": "province__name",
        "owner": "owner__name",
    }[dimension]
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en"):
        field = (
            field.replace("label_zh", "label_en")
            .replace("province__name", "province__name_en")
            .replace("owner__name", "owner__username")
        )
    rows = qs.values(field).annotate(n=Count("pk")).order_by("-n")[:30]
    return [(r[field] or "—", r["n"]) for r in rows]


def new_per_month(user, months=12):
    start = (timezone.localdate().replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    qs = Customer.objects.visible_to(user).filter(created_at__date__gte=start)
    rows = qs.annotate(m=TruncMonth("created_at")).values("m").annotate(n=Count("pk")).order_by("m")
    return [(r["m"].strftime("%Y-%m"), r["n"]) for r in rows]


def no_followup_since(queryset, days):
    cutoff = timezone.now() - timedelta(days=days)
    return queryset.filter(Q(last_followup_at__lt=cutoff) | Q(last_followup_at__isnull=True))
