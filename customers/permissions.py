"""The function permissions of the customer workflow, checked in one place.

Services call `require()` before they act; the web views that show a form first (merge, review,
the pool page) call it too, through the same table; the API views call nothing themselves.
"""

from django.core.exceptions import PermissionDenied

WORKFLOW = {
    "pool": ("customers.claim_customer", "customers.assign_customer"),  # browse: either one
    "claim": ("customers.claim_customer",),
    "assign": ("customers.assign_customer",),
    "merge": ("customers.merge_customer",),
    "review": ("customers.review_customer",),
}


def allowed(user, action):
    return user is not None and any(user.has_perm(p) for p in WORKFLOW[action])


def require(actor, action):
    """PermissionDenied (403 on the web and in the API) unless `actor` holds the action's
    permission. Jobs act with actor=None and are not checked."""
    if actor is not None and not allowed(actor, action):
        raise PermissionDenied
