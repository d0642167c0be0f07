"""Customer writes: create/update with duplicate check and codes, contacts, follow-ups, the
public pool (release, claim, assign, recycle), transfer, merge, review. Atomic and audited."""

import re
import unicodedata
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from basedata.parameters import get_parameter
from core.audit import audit_log
from core.search_tokens import make_tokens
from core.sequences import allocate, format_code, usable_code_pattern
from core.sequences import code_prefix as pattern_prefix
from core.services import ModelService, changing_owner, leaves_scope, object_create, object_delete, object_update
from core.signals import owner_changed
from workspace.services import notify, todo_create, todos_close_for

from . import permissions
from .models import ClaimLog, Contact, Customer, FollowUp, OwnerHistory
from .selectors import duplicate_phrases

# --- names, codes, tokens -------------------------------------------------------------------
_BRACKETS = re.compile(r"[()（）\[\]【】{}<>《》\s·.,，。'\"-]")
_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "公司",
    "co.,ltd",
    "co.ltd",
    "coltd",
    "co,ltd",
    "company limited",
    "companylimited",
    "limited",
    "ltd",
    "inc",
    "corporation",
    "corp",
    "llc",
    "gmbh",
)


def normalise_name(name):
    """Key for duplicate detection: width-folded, lower-case, no spaces/brackets/legal suffix."""
    text = unicodedata.normalize("NFKC", name or "").lower().strip()
    text = text.replace("co., ltd", "coltd").replace("co.,ltd", "coltd")
    text = _BRACKETS.sub("", text)
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            key = _BRACKETS.sub("", suffix)
            if text.endswith(key) and len(text) > len(key):
                text = text[: -len(key)]
                changed = True
    return text[:120]


def _pattern(pattern):
    from basedata.parameters import DEFAULTS

    return usable_code_pattern(pattern, DEFAULTS["customer_code_pattern"][2])


def code_prefix(pattern, now=None):
    return pattern_prefix(_pattern(pattern), now)


def next_codes(pattern, count=1, now=None):
    """`count` consecutive new codes for `pattern` (e.g. KH{yyyy}{mm}-{seq:06})."""
    now = timezone.localtime(now)
    pattern = _pattern(pattern)  # formatted by core.sequences, never str.format (no attribute access)
    prefix = code_prefix(pattern, now)

    def highest_in_use():
        # Longest first: numbers past the padding are longer, and text order alone misranks them.
        last = (
            Customer.all_objects.filter(code__startswith=prefix)
            .order_by(Length("code").desc(), "-code")
            .values_list("code", flat=True)
            .first()
        )
        match = re.search(r"(\d+)$", last[len(prefix) :]) if last else None
        return int(match.group(1)) if match else 0

    start = allocate(prefix, count, initial=highest_in_use)
    return [format_code(pattern, start + i, now) for i in range(count)]


def customer_tokens(customer, contacts=None):
    if contacts is None:
        contacts = list(
            customer.contacts.filter(deleted_at__isnull=True).values_list("name", "mobile", "email", "office_phone")
        )
    return make_tokens(
        customer.code,
        customer.phone,
        customer.mobile,
        customer.email,
        *[" ".join(c[1:]) for c in contacts],
        names=[customer.name, customer.short_name],
        person_names=[c[0] for c in contacts],
    )


def customer_reindex(customer):
    tokens = customer_tokens(customer)
    Customer.all_objects.filter(pk=customer.pk).update(search_text=tokens)
    customer.search_text = tokens


# --- duplicates ------------------------------------------------------------------------------
def find_duplicates(*, name="", phone="", mobile="", email="", exclude_pk=None, limit=10):
    """Live customers that look like the same company (not scoped: the caller decides what to show)."""
    cond = Q()
    key = normalise_name(name)
    if key:
        cond |= Q(name_key=key)
    for value in {phone, mobile} - {""}:
        cond |= Q(phone=value) | Q(mobile=value)
    if email:
        cond |= Q(email__iexact=email)
    if not cond:
        return []
    qs = Customer.objects.filter(cond).select_related("owner", "department")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs[:limit])


def _duplicate_error(matches, actor):
    """The duplicate refusal as `actor` may read it: names and codes only of customers in their
    scope, whose the others are otherwise (CUS-15)."""
    names = "、".join(duplicate_phrases(actor, matches[:3]))
    return ValidationError(
        {"name": _("A customer with the same name, phone or email already exists: %(names)s.") % {"names": names}},
        code="duplicate",
    )


# --- customers -------------------------------------------------------------------------------
class CustomerService(ModelService):
    def __init__(self):
        super().__init__(Customer)

    @transaction.atomic
    def create(self, *, actor, data, confirm_duplicate=False, to_pool=False):
        data = dict(data)
        confirm_duplicate = data.pop("confirm_duplicate", confirm_duplicate)
        matches = find_duplicates(
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            mobile=data.get("mobile", ""),
            email=data.get("email", ""),
        )
        if matches and not (confirm_duplicate and actor.has_perm("customers.save_duplicate_customer")):
            raise _duplicate_error(matches, actor)
        data["name_key"] = normalise_name(data.get("name", ""))
        if to_pool:
            data.update(
                owner=None,
                department=None,
                in_pool=True,
                pool_entered_at=timezone.now(),
                pool_reason=_("Imported into the pool"),
            )
        elif data.get("owner") is None:
            data["owner"] = actor
        if get_parameter("data_review_enabled") and not actor.has_perm("customers.review_customer"):
            data["review_status"] = Customer.Review.PENDING
        for attempt in range(5):
            data["code"] = next_codes(get_parameter("customer_code_pattern"))[0]
            try:
                with transaction.atomic():
                    customer = object_create(actor=actor, model=Customer, data=data)
                break
            except IntegrityError:  # another writer took the code: take the next one
                if attempt == 4:
                    raise
        if customer.department_id is None and customer.owner_id and customer.owner.department_id:
            Customer.objects.filter(pk=customer.pk).update(department_id=customer.owner.department_id)
            customer.department_id = customer.owner.department_id
        customer_reindex(customer)
        OwnerHistory.objects.create(
            customer=customer, action=OwnerHistory.Action.CREATE, to_owner=customer.owner, actor=actor
        )
        if to_pool:
            leaves_scope(customer)  # created straight into the pool: nobody's, by design
        if customer.review_status == Customer.Review.PENDING:
            _ask_for_review(actor, customer)
        return customer

    @transaction.atomic
    def update(self, *, actor, instance, data, version=None, confirm_duplicate=False):
        data = dict(data)
        confirm_duplicate = data.pop("confirm_duplicate", confirm_duplicate)
        data.pop("owner", None)  # owner changes go through transfer/assign, never a plain edit
        if "name" in data or "phone" in data or "mobile" in data or "email" in data:
            probe = {f: data.get(f, getattr(instance, f)) for f in ("name", "phone", "mobile", "email")}
            changed = any(probe[f] != getattr(instance, f) for f in probe)
            matches = find_duplicates(**probe, exclude_pk=instance.pk) if changed else []
            if matches and not (confirm_duplicate and actor.has_perm("customers.save_duplicate_customer")):
                raise _duplicate_error(matches, actor)
            data["name_key"] = normalise_name(probe["name"])
        resubmitted = instance.review_status == Customer.Review.RETURNED and instance.created_by_id == actor.pk
        if resubmitted:
            data["review_status"] = Customer.Review.PENDING  # resubmitted after changes
        customer = object_update(actor=actor, instance=instance, data=data, version=version)
        customer_reindex(customer)
        if resubmitted:
            _ask_for_review(actor, customer)
        return customer

    @transaction.atomic
    def delete(self, *, actor, instance, version=None):
        """Soft delete with its contacts and follow-ups (restored together)."""
        result = object_delete(actor=actor, instance=instance, version=version)
        # The children carry the customer's own stamp: restore() finds them by it.
        stamp, by = instance.deleted_at, instance.deleted_by
        instance.contacts.filter(deleted_at__isnull=True).update(deleted_at=stamp, deleted_by=by)
        instance.followups.filter(deleted_at__isnull=True).update(deleted_at=stamp, deleted_by=by)
        return result

    @transaction.atomic
    def restore(self, *, actor, instance):
        stamp = instance.deleted_at
        Contact.all_objects.filter(customer=instance, deleted_at=stamp).update(deleted_at=None, deleted_by=None)
        FollowUp.all_objects.filter(customer=instance, deleted_at=stamp).update(deleted_at=None, deleted_by=None)
        return super().restore(actor=actor, instance=instance)


customer_service = CustomerService()


def _history(customer, action, from_owner, to_owner, actor, reason=""):
    """Every change of hands is recorded here, and the customer's open to-dos follow it."""
    OwnerHistory.objects.create(
        customer=customer, action=action, from_owner=from_owner, to_owner=to_owner, actor=actor, reason=reason[:200]
    )
    if action != OwnerHistory.Action.CREATE:
        owner_changed.send(
            sender=Customer, instance=customer, previous=from_owner, new_owner=to_owner, actor=actor, reason=reason
        )


@transaction.atomic
def customer_release(*, actor, customer, reason, action=OwnerHistory.Action.RELEASE):
    """Put a customer into the public pool (公海)."""
    if not reason or not str(reason).strip():
        raise ValidationError({"reason": _("Give a reason for releasing the customer.")})
    if customer.in_pool:
        raise ValidationError(_("The customer is already in the pool."))
    previous = customer.owner
    updated = Customer.objects.filter(pk=customer.pk, in_pool=False).update(
        in_pool=True,
        owner=None,
        department=None,
        pool_entered_at=timezone.now(),
        pool_reason=str(reason)[:200],
        claimed_at=None,
        recycle_warned_at=None,
        version=F("version") + 1,  # a form opened before the release is now stale
    )
    if not updated:
        raise ValidationError(_("The customer is already in the pool."))
    customer.refresh_from_db()
    _history(customer, action, previous, None, actor, str(reason))
    audit_log(
        actor=actor,
        action="update",
        obj=customer,
        changes={"owner": [str(previous), None], "in_pool": [False, True]},
        message=f"release: {reason}",
    )
    return customer


def owner_cap(user):
    """Most customers a user may own: the smallest cap over their roles' parameters."""
    caps = [get_parameter(f"customer_cap_{r.code}") for r in user.roles.all()]
    caps = [c for c in caps if isinstance(c, int) and c > 0]
    return min(caps) if caps else get_parameter("customer_owner_cap", 1000)


def lock_owner(user):
    """Serialise the count-then-take of customers by one future owner until the transaction ends.

    The cap and the daily quota are counted before the customer is taken: without this, 20
    simultaneous claims on PostgreSQL each counted 0 and 10-20 of them won with the cap at 1.
    A row lock on the user (FOR NO KEY UPDATE on PostgreSQL: rows that merely reference the
    user, such as audit entries, are not blocked). SQLite needs none: its IMMEDIATE transactions
    already hold the only write lock from their first statement."""
    if not connection.features.has_select_for_update:
        return
    no_key = connection.features.has_select_for_no_key_update
    get_user_model().objects.select_for_update(no_key=no_key).filter(pk=user.pk).values_list("pk").first()


def _check_owner_cap(owner, *, actor):
    owned = Customer.objects.filter(owner=owner, in_pool=False).count()
    cap = owner_cap(owner)
    if owned < cap:
        return
    if owner.pk == actor.pk:
        message = _("You already own %(n)s customers, the most your role allows (%(cap)s).")
    else:
        message = _("%(user)s already owns %(n)s customers, the most their role allows (%(cap)s).")
    raise ValidationError(message % {"user": owner, "n": owned, "cap": cap}, code="owner_cap")


@transaction.atomic
def customer_claim(*, actor, customer):
    """Take a customer from the pool. Only one of two simultaneous claims wins; the owner cap
    and the daily quota hold however many claims of one user run at once."""
    permissions.require(actor, "claim")
    lock_owner(actor)
    _check_owner_cap(actor, actor=actor)
    today = timezone.localdate()
    quota = get_parameter("pool_claim_daily_quota")
    if quota and ClaimLog.objects.filter(user=actor, claimed_on=today).count() >= quota:
        raise ValidationError(_("You have reached today's claim quota (%(n)s).") % {"n": quota})
    now = timezone.now()
    updated = Customer.objects.filter(pk=customer.pk, in_pool=True).update(
        in_pool=False,
        owner=actor,
        department=actor.department,
        claimed_at=now,
        pool_entered_at=None,
        pool_reason="",
        recycle_warned_at=None,
        version=customer.version + 1,
    )
    if not updated:
        raise ValidationError(_("Someone else claimed this customer a moment ago."), code="claimed")
    ClaimLog.objects.create(user=actor, customer=customer, claimed_on=today)
    customer.refresh_from_db()
    _history(customer, OwnerHistory.Action.CLAIM, None, actor, actor)
    audit_log(
        actor=actor,
        action="update",
        obj=customer,
        changes={"owner": [None, str(actor)], "in_pool": [True, False]},
        message="claim",
    )
    return customer


@transaction.atomic
def customer_assign(*, actor, customer, owner, reason=""):
    """A manager hands a pool customer to someone, within that person's owner cap."""
    permissions.require(actor, "assign")
    if not owner.is_active:
        raise ValidationError({"owner": _("That user is deactivated.")})
    lock_owner(owner)  # the same lock as the owner's own claims: the cap counts both
    _check_owner_cap(owner, actor=actor)
    updated = Customer.objects.filter(pk=customer.pk, in_pool=True).update(
        in_pool=False,
        owner=owner,
        department=owner.department,
        claimed_at=timezone.now(),
        pool_entered_at=None,
        pool_reason="",
        version=customer.version + 1,
    )
    if not updated:
        raise ValidationError(_("The customer is no longer in the pool."))
    customer.refresh_from_db()
    _history(customer, OwnerHistory.Action.ASSIGN, None, owner, actor, reason)
    audit_log(actor=actor, action="update", obj=customer, changes={"owner": [None, str(owner)]}, message="assign")
    notify(
        recipients=[owner],
        title=_("Customer assigned to you: %(name)s") % {"name": customer.name},
        target=customer,
        actor=actor,
    )
    return customer


def _each(customers, action):
    """Run `action(customer)` for every customer; an error names the customer it stopped at."""
    for customer in customers:
        try:
            action(customer)
        except ValidationError as e:
            raise ValidationError(
                _("%(name)s: %(error)s") % {"name": customer.name, "error": " ".join(e.messages)}
            ) from e
    return customers


@transaction.atomic
def customers_claim(*, actor, customers):
    """Claim several pool customers at once: all of them, or none (caps and quota included)."""
    return _each(customers, lambda c: customer_claim(actor=actor, customer=c))


@transaction.atomic
def customers_assign(*, actor, customers, owner):
    """Assign several pool customers to `owner`: all of them, or none."""
    return _each(customers, lambda c: customer_assign(actor=actor, customer=c, owner=owner))


@transaction.atomic
def customers_transfer(*, actor, customers, new_owner, reason):
    """Batch transfer of owner; old and new owners are notified."""
    if not reason or not str(reason).strip():
        raise ValidationError({"reason": _("Give a reason for the transfer.")})
    if not new_owner.is_active:
        raise ValidationError({"owner": _("That user is deactivated.")})
    moved = []
    for customer in customers:
        previous = customer.owner
        if previous == new_owner:
            continue
        data = {"owner": new_owner, "department": new_owner.department}
        if customer.in_pool:  # seen by an all-records user: leaves the pool like an assignment
            data.update(in_pool=False, pool_entered_at=None, pool_reason="", claimed_at=timezone.now())
        with changing_owner():
            object_update(actor=actor, instance=customer, data=data)
        _history(customer, OwnerHistory.Action.TRANSFER, previous, new_owner, actor, reason)
        if previous is not None:
            notify(
                recipients=[previous],
                title=_("Customer transferred to %(user)s: %(name)s") % {"user": new_owner, "name": customer.name},
                body=reason,
                target=customer,
                actor=actor,
            )
        moved.append(customer)
    if moved:
        notify(
            recipients=[new_owner],
            title=_("%(n)s customers transferred to you") % {"n": len(moved)},
            body=reason,
            target=moved[0] if len(moved) == 1 else None,
            link="" if len(moved) == 1 else "/customers/customers/?view=mine",
            actor=actor,
        )
    return moved


@transaction.atomic
def customers_tag(*, actor, customers, tags, remove=False):
    for customer in customers:
        current = set(customer.tags.all())
        new = current - set(tags) if remove else current | set(tags)
        if new != current:
            object_update(actor=actor, instance=customer, data={"tags": list(new)})
    return customers


@transaction.atomic
def customer_merge(*, actor, keep, remove):
    """Move everything of `remove` onto `keep`, then delete `remove` (to the recycle bin)."""
    permissions.require(actor, "merge")
    if keep.pk == remove.pk:
        raise ValidationError(_("Choose two different customers."))
    keep_has_primary = Contact.objects.filter(customer=keep, is_primary=True).exists()
    moved = {
        # One primary contact per customer: the kept one's, else the removed one's.
        "contacts": Contact.all_objects.filter(customer=remove).update(
            customer=keep, **({"is_primary": False} if keep_has_primary else {})
        ),
        "followups": FollowUp.all_objects.filter(customer=remove).update(customer=keep),
        "owner_history": OwnerHistory.objects.filter(customer=remove).update(customer=keep),
    }
    from .registry import merge_hooks

    for hook in merge_hooks:
        moved.update(hook(keep=keep, remove=remove) or {})
    fill = {
        f: getattr(remove, f)
        for f in ("phone", "mobile", "email", "website", "address", "fax", "qq")
        if not getattr(keep, f) and getattr(remove, f)
    }
    if fill:
        object_update(actor=actor, instance=keep, data=fill)
    keep.tags.add(*remove.tags.all())
    if remove.last_followup_at and (not keep.last_followup_at or remove.last_followup_at > keep.last_followup_at):
        Customer.objects.filter(pk=keep.pk).update(last_followup_at=remove.last_followup_at)
    _history(keep, OwnerHistory.Action.MERGE, remove.owner, keep.owner, actor, f"{remove.code} {remove.name}")
    object_delete(actor=actor, instance=remove)
    customer_reindex(keep)
    audit_log(
        actor=actor,
        action="update",
        obj=keep,
        changes={"merged": [f"{remove.code} {remove.name}", keep.code]},
        message=str(moved),
    )
    return keep


@transaction.atomic
def _ask_for_review(actor, customer):
    """A record waiting for review reaches its reviewers: a notification and a to-do each."""
    from .selectors import reviewers_of

    reviewers = [u for u in reviewers_of(customer) if u != actor]
    title = _("Review customer %(name)s") % {"name": customer.name}
    for reviewer in reviewers:
        todo_create(
            actor=actor,
            owner=reviewer,
            title=title,
            note=customer.get_review_status_display(),
            due_at=timezone.now() + timedelta(days=1),
            target=customer,
        )  # todo_create notifies the reviewer
    return reviewers


def customer_review(*, actor, customer, approve, comment=""):
    """First review, optional second review, or return to the author with a comment."""
    permissions.require(actor, "review")
    status = customer.review_status
    if status not in (Customer.Review.PENDING, Customer.Review.SECOND):
        raise ValidationError(_("This customer is not waiting for review."))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say what needs changing when returning a record.")})
    if approve:
        two_levels = get_parameter("data_review_two_levels")
        new = Customer.Review.SECOND if status == Customer.Review.PENDING and two_levels else Customer.Review.APPROVED
    else:
        new = Customer.Review.RETURNED
    Customer.objects.filter(pk=customer.pk).update(
        review_status=new, review_comment=comment[:300], reviewed_by=actor, reviewed_at=timezone.now()
    )
    customer.refresh_from_db()
    audit_log(actor=actor, action="update", obj=customer, changes={"review_status": [status, new]}, message=comment)
    from .selectors import reviewers_of

    todos_close_for(
        actor=actor,
        target=customer,
        note=_("Reviewed by %(user)s: %(status)s") % {"user": actor, "status": customer.get_review_status_display()},
        owners=[*reviewers_of(customer), actor],
    )
    if new == Customer.Review.SECOND:
        _ask_for_review(actor, customer)
    if customer.created_by and customer.created_by != actor:
        notify(
            recipients=[customer.created_by],
            title=_("Review of %(name)s: %(status)s")
            % {"name": customer.name, "status": customer.get_review_status_display()},
            body=comment,
            target=customer,
            actor=actor,
        )
    return customer


# --- contacts --------------------------------------------------------------------------------
class ContactService(ModelService):
    def __init__(self):
        super().__init__(Contact)

    @transaction.atomic
    def create(self, *, actor, data):
        data = dict(data)
        customer = data["customer"]
        has_primary = Contact.objects.filter(customer=customer, is_primary=True).exists()
        if data.get("is_primary") and has_primary:
            Contact.objects.filter(customer=customer, is_primary=True).update(is_primary=False)
        elif not has_primary:
            data["is_primary"] = True  # the first contact is the primary one
        contact = object_create(actor=actor, model=Contact, data=data)
        customer_reindex(customer)
        return contact

    @transaction.atomic
    def update(self, *, actor, instance, data, version=None):
        data = dict(data)
        data.pop("customer", None)  # a contact does not change company through an edit
        if data.get("is_primary") and not instance.is_primary:
            Contact.objects.filter(customer=instance.customer, is_primary=True).update(is_primary=False)
        contact = object_update(actor=actor, instance=instance, data=data, version=version)
        customer_reindex(contact.customer)
        return contact

    @transaction.atomic
    def delete(self, *, actor, instance, version=None):
        result = object_delete(actor=actor, instance=instance, version=version)
        customer_reindex(instance.customer)
        return result

    @transaction.atomic
    def restore(self, *, actor, instance):
        # Another contact may have become the primary one meanwhile: keep that one.
        if instance.is_primary and Contact.objects.filter(customer=instance.customer_id, is_primary=True).exists():
            Contact.all_objects.filter(pk=instance.pk).update(is_primary=False)
            instance.is_primary = False
        contact = super().restore(actor=actor, instance=instance)
        customer_reindex(contact.customer)
        return contact


contact_service = ContactService()


# --- follow-ups ------------------------------------------------------------------------------
class FollowUpService(ModelService):
    def __init__(self):
        super().__init__(FollowUp)

    @staticmethod
    def check(data, instance=None):
        """Rules every channel (form, API, import) must meet, with field errors."""

        def value(name):
            return data[name] if name in data else getattr(instance, name, None)

        errors = {}
        happened, next_at = value("happened_at"), value("next_followup_at")
        if happened and next_at and next_at <= happened:
            errors["next_followup_at"] = _("The next follow-up must be after this one.")
        contact, customer = value("contact"), value("customer")
        if contact is not None and customer is not None and contact.customer_id != customer.pk:
            errors["contact"] = _("This contact belongs to another customer.")
        if errors:
            raise ValidationError(errors)

    @transaction.atomic
    def create(self, *, actor, data):
        data = dict(data)
        data.setdefault("happened_at", timezone.now())
        self.check(data)
        followup = object_create(actor=actor, model=FollowUp, data=data)
        customer = followup.customer
        changes = {"last_followup_at": followup.happened_at, "recycle_warned_at": None}
        if followup.next_followup_at:
            changes["next_followup_at"] = followup.next_followup_at
        Customer.objects.filter(pk=customer.pk).filter(
            Q(last_followup_at__isnull=True) | Q(last_followup_at__lt=followup.happened_at)
        ).update(**changes)
        if followup.next_followup_at and customer.owner_id:
            todo_create(
                actor=actor,
                owner=customer.owner,
                title=_("Follow up %(name)s") % {"name": customer.name},
                note=followup.summary,
                due_at=followup.next_followup_at,
                target=customer,
            )
        return followup

    @transaction.atomic
    def update(self, *, actor, instance, data, version=None):
        data = dict(data)
        data.pop("customer", None)  # a follow-up stays with its customer
        self.check(data, instance)
        return object_update(actor=actor, instance=instance, data=data, version=version)


followup_service = FollowUpService()


# --- jobs ------------------------------------------------------------------------------------
def _stale_customers(days, now):
    cutoff = now - timedelta(days=days)
    protection = now - timedelta(days=get_parameter("pool_protection_days") or 0)
    from .registry import open_business_filters

    qs = (
        Customer.objects.filter(in_pool=False)
        .filter(Q(last_followup_at__lt=cutoff) | Q(last_followup_at__isnull=True, created_at__lt=cutoff))
        .exclude(claimed_at__gt=protection)
    )
    for exclude in open_business_filters:
        qs = exclude(qs)
    return qs


def pool_recycle(*, now=None):
    """Nightly: warn owners M days ahead, then return stale customers to the pool."""
    now = now or timezone.now()
    days, warn = get_parameter("pool_recycle_days"), get_parameter("pool_warning_days")
    if not days:
        return {"warned": 0, "recycled": 0}
    warned = 0
    for customer in (
        _stale_customers(days - warn, now)
        .filter(recycle_warned_at__isnull=True)
        .exclude(pk__in=_stale_customers(days, now).values("pk"))
        .select_related("owner")[:5000]
    ):
        Customer.objects.filter(pk=customer.pk).update(recycle_warned_at=now)
        notify(
            recipients=[customer.owner],
            title=_("%(name)s returns to the pool in %(n)s days without a follow-up")
            % {"name": customer.name, "n": warn},
            target=customer,
            level="warning",
        )
        warned += 1
    recycled = 0
    for customer in _stale_customers(days, now).select_related("owner")[:5000]:
        with transaction.atomic():
            previous = customer.owner
            customer_release(
                actor=None,
                customer=customer,
                reason=_("No follow-up for %(n)s days") % {"n": days},
                action=OwnerHistory.Action.RECYCLE,
            )
            if previous:
                notify(
                    recipients=[previous],
                    title=_("%(name)s went back to the pool") % {"name": customer.name},
                    target=customer,
                )
            recycled += 1
    return {"warned": warned, "recycled": recycled}


def care_reminders(*, today=None):
    """Daily: tell owners about contacts' birthdays and customers' anniversaries in the next N days."""
    from .selectors import upcoming_care

    today = today or timezone.localdate()
    per_owner = {}
    for item in upcoming_care(None, today=today, days=get_parameter("care_lookahead_days") or 7):
        if item["owner"] is not None:
            per_owner.setdefault(item["owner"], []).append(item)
    for owner, items in per_owner.items():
        body = "\n".join(f"{i['date']:%m-%d} {i['label']}" for i in items[:20])
        notify(
            recipients=[owner],
            title=_("Customer care: %(n)s birthdays and anniversaries coming up") % {"n": len(items)},
            body=body,
            link="/customers/care/",
        )
    return sum(len(v) for v in per_owner.values())
