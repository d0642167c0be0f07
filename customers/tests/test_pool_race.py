"""20 simultaneous claims by one user (issue 10 item 3): the owner cap and the daily claim quota
hold under concurrency. Every thread has its own database connection, so the claims really
overlap. PostgreSQL only (make test-pg): SQLite's in-memory test database cannot hold two
writers (see conftest.py); a file database serialises them (IMMEDIATE), as
`bench/pool_race.py --db sqlite` shows."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from accounts.models import User
from customers.models import ClaimLog, Customer
from customers.services import customer_assign, customer_claim, customer_release

from .factories import make_customer, reload

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 20


def pool_of(owner, n):
    customers = [make_customer(owner) for _ in range(n)]
    return [customer_release(actor=owner, customer=reload(c), reason="放入公海").pk for c in customers]


def race(work, ids):
    """Run work(pk) for every pk in its own thread and connection, all released at once.
    Returns (number of successes, ValidationErrors, other exceptions)."""
    barrier = threading.Barrier(len(ids))
    won, refused, failed = [], [], []

    def run(pk):
        try:
            translation.activate("en")  # threads start without the test's language
            barrier.wait()
            work(pk)
            won.append(pk)
        except ValidationError as e:
            refused.append(e)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            failed.append(e)
        finally:
            translation.deactivate()
            connection.close()

    threads = [threading.Thread(target=run, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(won), refused, failed


def claim_as(user_pk):
    def work(pk):
        customer_claim(actor=User.objects.get(pk=user_pk), customer=Customer.objects.get(pk=pk))

    return work


def test_owner_cap_holds_under_20_simultaneous_claims(alice, bob, param):
    param("customer_owner_cap", 1)
    param("customer_cap_account_manager", 1)
    ids = pool_of(alice, THREADS)
    won, refused, failed = race(claim_as(bob.pk), ids)
    assert failed == []
    assert Customer.objects.filter(owner=bob, in_pool=False).count() == 1
    assert won == 1 and len(refused) == THREADS - 1
    assert all("most your role allows" in e.messages[0] for e in refused)
    assert Customer.objects.filter(pk__in=ids, in_pool=True).count() == THREADS - 1


def test_daily_quota_holds_under_20_simultaneous_claims(alice, bob, param):
    param("customer_cap_account_manager", 1000)
    param("pool_claim_daily_quota", 1)
    ids = pool_of(alice, THREADS)
    won, refused, failed = race(claim_as(bob.pk), ids)
    assert failed == []
    assert ClaimLog.objects.filter(user=bob).count() == 1
    assert won == 1 and len(refused) == THREADS - 1
    assert all("quota" in e.messages[0] for e in refused)
    assert Customer.objects.filter(owner=bob).count() == 1


def test_owner_cap_holds_when_claims_and_assignments_overlap(alice, bob, manager, param):
    """A manager assigning pool customers to bob counts against bob's cap like bob's own claims."""
    param("customer_owner_cap", 1)
    param("customer_cap_account_manager", 1)
    ids = pool_of(alice, THREADS)

    def work(pk):
        if pk % 2:
            customer_claim(actor=User.objects.get(pk=bob.pk), customer=Customer.objects.get(pk=pk))
        else:
            customer_assign(
                actor=User.objects.get(pk=manager.pk),
                customer=Customer.objects.get(pk=pk),
                owner=User.objects.get(pk=bob.pk),
            )

    won, refused, failed = race(work, ids)
    assert failed == []
    assert Customer.objects.filter(owner=bob, in_pool=False).count() == 1
    assert won == 1 and len(refused) == THREADS - 1
