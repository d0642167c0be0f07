import calendar
from datetime import date, timedelta

from django.db.models import CharField, Count, Q
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone

from .models import Contact, Customer, FollowUp


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


def _anniversary_filter(field, today, days):
    """Q for dates whose month-day falls in the next `days` days (in the database, not in Python).

    29 February counts on 1 March in years without it."""
    if days >= 365:
        return Q(**{f"{field}__isnull": False})
    cond = Q()
    for i in range(days + 1):
        day = today + timedelta(days=i)
        cond |= Q(**{f"{field}__month": day.month, f"{field}__day": day.day})
        if (day.month, day.day) == (3, 1) and not calendar.isleap(day.year):
            cond |= Q(**{f"{field}__month": 2, f"{field}__day": 29})
    return cond


def upcoming_care(user, *, today=None, days=7, limit=None):
    """Birthdays of contacts and founding anniversaries of customers in the next `days` days."""
    today = today or timezone.localdate()
    customers = Customer.objects.all() if user is None else Customer.objects.visible_to(user)
    contacts = (
        Contact.objects.filter(customer__in=customers.values("pk"))
        .filter(_anniversary_filter("birthday", today, days))
        .select_related("customer", "customer__owner")
    )
    items = []
    for c in contacts.iterator(chunk_size=2000):
        items.append(
            {
                "date": _next_occurrence(c.birthday, today),
                "kind": "birthday",
                "label": f"{c.name} ({c.customer.name})",
                "object": c,
                "owner": c.customer.owner,
            }
        )
    founded = customers.filter(_anniversary_filter("founded_on", today, days)).select_related("owner")
    for cu in founded.iterator(chunk_size=2000):
        when = _next_occurrence(cu.founded_on, today)
        years = when.year - cu.founded_on.year
        items.append(
            {"date": when, "kind": "anniversary", "label": f"{cu.name} · {years}", "object": cu, "owner": cu.owner}
        )
    items.sort(key=lambda i: i["date"])
    return items[:limit] if limit else items


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


def customer_timeline(customer, limit=50):
    """Audit trail of a customer and of its contacts and follow-ups, newest first (the 360° timeline)."""
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import AuditEntry

    types = ContentType.objects.get_for_models(Customer, Contact, FollowUp)

    def ids(model):  # AuditEntry.object_id is text
        return model.all_objects.filter(customer=customer).annotate(key=Cast("pk", CharField())).values("key")

    contact_ids, followup_ids = ids(Contact), ids(FollowUp)
    cond = (
        Q(content_type=types[Customer], object_id=str(customer.pk))
        | Q(content_type=types[Contact], object_id__in=contact_ids)
        | Q(content_type=types[FollowUp], object_id__in=followup_ids)
    )
    entries = AuditEntry.objects.filter(cond).select_related("actor", "content_type")
    return list(entries.order_by("-created_at", "-id")[:limit])
