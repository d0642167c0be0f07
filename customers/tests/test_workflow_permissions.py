"""The customer workflow's function permissions are checked in one place (customers/permissions.py),
by the services themselves: a caller that forgets to check cannot skip them (issue 11 item 7)."""

import pytest
from django.core.exceptions import PermissionDenied

from customers import permissions, selectors, services
from customers.services import customer_release

from .factories import make_customer, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def pooled(alice):
    customer = make_customer(alice, "公海里的公司")
    customer_release(actor=alice, customer=customer, reason="无意向")
    return reload(customer)


@pytest.mark.parametrize(
    ("persona", "call"),
    [
        ("agent", lambda u, c, o: services.customer_claim(actor=u, customer=c)),
        ("alice", lambda u, c, o: services.customer_assign(actor=u, customer=c, owner=o)),
        ("alice", lambda u, c, o: services.customer_merge(actor=u, keep=c, remove=c)),
        ("alice", lambda u, c, o: services.customer_review(actor=u, customer=c, approve=True)),
        ("exec", lambda u, c, o: selectors.pool_queryset(u)),
    ],
)
def test_services_refuse_without_the_permission(org, pooled, persona, call):
    with pytest.raises(PermissionDenied):
        call(org[persona], pooled, org["bob"])
    assert reload(pooled).in_pool and reload(pooled).owner_id is None


def test_the_table_is_what_the_menu_and_views_use(org):
    assert permissions.allowed(org["manager"], "pool") and permissions.allowed(org["alice"], "pool")
    assert not permissions.allowed(org["exec"], "pool") and not permissions.allowed(org["agent"], "pool")
