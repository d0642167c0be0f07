import calendar
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce, NullIf, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Contact, Customer, FollowUp
from .permissions import require


def pool_queryset(user):
    """Customers in the public pool; anyone who may claim or assign may browse them."""
    require(user, "pool")
    return Customer.objects.filter(in_pool=True).select_related("level", "industry", "province", "city")


def _visible_ids(user, pks):
    return set(Customer.objects.visible_to(user).filter(pk__in=pks).values_list("pk", flat=True))


def _hidden_entry(match):
    entry = {
        "owner": str(match.owner) if match.owner_id else "",
        "department": str(match.department) if match.department_id else "",
        "in_pool": match.in_pool,
    }
    return {**entry, "summary": hidden_duplicate_phrase(**entry)}


def duplicate_summary(user, matches):
    """Split duplicate matches into those `user` may open and summaries of the rest.

    A summary says only that the customer exists and whose it is — owner and department, or
    the public pool (CUS-15) — never its name, code or contact data: those would let anyone
    probe a colleague's records by phone or e-mail. `summary` says it as a phrase."""
    visible_ids = _visible_ids(user, [m.pk for m in matches])
    visible = [m for m in matches if m.pk in visible_ids]
    hidden = [_hidden_entry(m) for m in matches if m.pk not in visible_ids]
    return visible, hidden


def hidden_duplicate_phrase(*, owner, department, in_pool):
    """ "a customer owned by 李爱丽 (华东销售部)": a duplicate outside the viewer's scope."""
    if in_pool:
        return _("a customer in the public pool")
    if owner and department:
        return _("a customer owned by %(owner)s (%(department)s)") % {"owner": owner, "department": department}
    if owner:
        return _("a customer owned by %(owner)s") % {"owner": owner}
    return _("a customer without an owner")


def duplicate_phrase(match, visible):
    return f"{match.name} ({match.code})" if visible else _hidden_entry(match)["summary"]


def duplicate_phrases(user, matches):
    """One phrase per match as `user` may know it ("name (code)" in scope, a summary outside),
    equal phrases once: what a duplicate warning or error says."""
    visible_ids = _visible_ids(user, [m.pk for m in matches])
    return list(dict.fromkeys(duplicate_phrase(m, m.pk in visible_ids) for m in matches))


def duplicate_phrases_by_pk(user, pks):
    """{pk: phrase} of customers found by primary key (the import's duplicate lookups)."""
    found, pks = {}, list(pks)
    for i in range(0, len(pks), 1000):
        chunk = pks[i : i + 1000]
        visible_ids = _visible_ids(user, chunk)
        for m in Customer.all_objects.filter(pk__in=chunk).select_related("owner", "department"):
            found[m.pk] = duplicate_phrase(m, m.pk in visible_ids)
    return found


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


def _label(zh, en):
    """The English label where there is one (`en` empty: the Chinese one, as Region.__str__ does)."""
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en"):
        return Coalesce(NullIf(F(en), Value("")), F(zh))
    return Coalesce(NullIf(F(zh), Value("")), F(en))


def overview(user, dimension):
    """Counts of the user's visible customers by a dictionary/region/owner dimension."""
    qs = Customer.objects.visible_to(user).filter(in_pool=False)
    key = {
        "level": "level",
        "type": "customer_type",
        "industry": "industry",
        "source": "source",
        "province": "province",
        "owner": "owner",
    }[dimension]
    if dimension == "province":
        label = _label("province__name", "province__name_en")
    elif dimension == "owner":
        # The display name in both languages, as everywhere else (User.__str__).
        label = Coalesce(NullIf(F("owner__name"), Value("")), F("owner__username"))
    else:
        label = _label(f"{key}__label_zh", f"{key}__label_en")
    rows = qs.values(key).annotate(label=label, n=Count("pk")).order_by("-n", "label")[:30]
    return [(r["label"] or "—", r["n"]) for r in rows]


def last_months(months=12, today=None):
    """First days of the last `months` months, oldest first, ending with the current month."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    firsts = []
    for _step in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def new_per_month(user, months=12, today=None):
    """New customers in each of the last `months` months (this one included; empty months as 0)."""
    firsts = last_months(months, today)
    last = firsts[-1]
    end = date(last.year + 1, 1, 1) if last.month == 12 else date(last.year, last.month + 1, 1)
    tz = timezone.get_current_timezone()
    start_at = datetime.combine(firsts[0], time.min, tzinfo=tz)
    end_at = datetime.combine(end, time.min, tzinfo=tz)
    qs = Customer.objects.visible_to(user).filter(created_at__gte=start_at, created_at__lt=end_at)
    rows = qs.annotate(m=TruncMonth("created_at")).values("m").annotate(n=Count("pk")).order_by("m")
    counts = {r["m"].strftime("%Y-%m"): r["n"] for r in rows}
    return [(f"{d:%Y-%m}", counts.get(f"{d:%Y-%m}", 0)) for d in firsts]


def no_followup_since(queryset, days):
    cutoff = timezone.now() - timedelta(days=days)
    return queryset.filter(Q(last_followup_at__lt=cutoff) | Q(last_followup_at__isnull=True))


def customer_timeline(customer, limit=50):
    """Audit trail of a customer and of its contacts and follow-ups, newest first (the 360° timeline)."""
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import AuditEntry

    types = ContentType.objects.get_for_models(Customer, Contact, FollowUp)

    def rows(model):
        return (
            model.all_objects.filter(customer=customer)
            .order_by()  # SQLite allows no ORDER BY inside a UNION
            .annotate(kind=Value(model._meta.model_name))
            .values_list("kind", "pk")
        )

    # The ids as literal lists, read first: with subqueries PostgreSQL walked the whole audit
    # log newest first, filtering every entry of every record (13 ms on 20,000 entries).
    children = {Contact._meta.model_name: [], FollowUp._meta.model_name: []}
    for kind, pk in rows(Contact).union(rows(FollowUp), all=True):
        children[kind].append(str(pk))  # AuditEntry.object_id is text
    cond = Q(content_type=types[Customer], object_id=str(customer.pk))
    for model in (Contact, FollowUp):
        if children[model._meta.model_name]:
            cond |= Q(content_type=types[model], object_id__in=children[model._meta.model_name])
    entries = AuditEntry.objects.filter(cond).select_related("actor", "content_type")
    return list(entries.order_by("-created_at", "-id")[:limit])


def reviewers_of(customer):
    """Who reviews `customer` (PLAT-16): active holders of the review permission through a role
    whose data scope reaches it — superusers only when no role holder does. Never its author."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    User = get_user_model()
    permission = Permission.objects.filter(content_type__app_label="customers", codename="review_customer").first()
    holders = list(User.objects.filter(is_active=True, roles__permissions=permission).distinct()) if permission else []
    if not holders:
        holders = list(User.objects.filter(is_active=True, is_superuser=True))
    reach = Customer.all_objects.filter(pk=customer.pk)
    return [u for u in holders if u.pk != customer.created_by_id and reach.visible_to(u, "view").exists()]
