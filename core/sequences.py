"""Gap-free numbering per prefix (customer codes KH202611-000001, later order and contract numbers)."""

from django.db import transaction
from django.db.models import F

from .models import CodeSequence


def allocate(prefix, count=1, *, initial=lambda: 0):
    """Reserve `count` consecutive numbers after the last one handed out for `prefix`; return
    the first. `initial()` gives the last number already in use when the prefix is new (rows
    written before the sequence existed). The row lock is held to the end of the caller's
    transaction, so concurrent writers queue instead of colliding."""
    with transaction.atomic():
        row = CodeSequence.objects.select_for_update().filter(prefix=prefix).first()
        if row is None:
            CodeSequence.objects.get_or_create(prefix=prefix, defaults={"last": initial()})
            row = CodeSequence.objects.select_for_update().get(prefix=prefix)
        CodeSequence.objects.filter(prefix=prefix).update(last=F("last") + count)
    return row.last + 1
