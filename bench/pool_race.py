"""20-way claim race on the public pool (issue 10 item 3 figures).

    .venv/bin/python bench/pool_race.py                     # PostgreSQL, 10 rounds, 20 threads
    .venv/bin/python bench/pool_race.py --db sqlite --rounds 3

Each round puts 20 fresh customers into the pool, then 20 threads (one database connection
each, released together by a barrier) have `bob` claim one each through the API
(`POST /api/v1/customers/{id}/claim/`, in-process). Run once with the owner cap at 1 (one more
than bob owns already) and once with the daily claim quota at 1, and print how many of the 20
bob owns / claimed per round.
Correct is 1 every round. Uses its own database (`guanxi_race`), never the dev or test one.
"""

import argparse
import logging
import threading
import time

from _setup import configure, ensure_data

PREFIX = "池竞争测试"


def set_parameters(values):
    from basedata.models import SystemParameter
    from basedata.parameters import DEFAULTS, clear_cache

    for key, value in values.items():
        group, kind, _default, label, label_en, _desc = DEFAULTS[key]
        SystemParameter.objects.update_or_create(
            key=key, defaults={"value": str(value), "kind": kind, "group": group, "label": label, "label_en": label_en}
        )
    clear_cache()


def saved_parameters(keys):
    from basedata.models import SystemParameter

    return {p.key: p.value for p in SystemParameter.objects.filter(key__in=keys)}


def restore_parameters(keys, saved):
    from basedata.models import SystemParameter
    from basedata.parameters import clear_cache

    SystemParameter.objects.filter(key__in=set(keys) - set(saved)).delete()
    for key, value in saved.items():
        SystemParameter.objects.filter(key=key).update(value=value)
    clear_cache()


def fresh_pool(admin, user, n):
    from customers.models import ClaimLog, Customer
    from customers.services import customer_service

    Customer.all_objects.filter(name__startswith=PREFIX).delete()
    ClaimLog.objects.filter(user=user).delete()
    stamp = time.monotonic_ns()
    return [
        customer_service.create(actor=admin, data={"name": f"{PREFIX}{stamp}-{i}"}, to_pool=True).pk for i in range(n)
    ]


def one_round(user_pk, ids):
    """Every pk claimed by user_pk in its own thread and connection; returns the status codes."""
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.models import User

    barrier = threading.Barrier(len(ids))
    codes = []

    def run(pk):
        try:
            client = APIClient()
            client.force_authenticate(User.objects.get(pk=user_pk))
            barrier.wait()
            codes.append(client.post(f"/api/v1/customers/{pk}/claim/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()
    configure(args.db, name="guanxi_race")
    ensure_data(0)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 400s are expected

    from django.db import connection

    from accounts.models import User
    from basedata.parameters import DEFAULTS
    from customers.models import ClaimLog, Customer

    Customer.all_objects.filter(name__startswith=PREFIX).delete()  # a run stopped half-way
    admin, bob = User.objects.get(username="admin"), User.objects.get(username="bob")
    role_caps = [f"customer_cap_{code}" for code in bob.roles.values_list("code", flat=True)]
    role_caps = [key for key in role_caps if key in DEFAULTS]
    # In a seeded database bob owns customers already: the cap leaves room for exactly one more.
    had = Customer.objects.filter(owner=bob, in_pool=False).count()
    print(
        f"database: {connection.vendor}; {args.threads} threads; bob's role caps: {role_caps or 'none'}; "
        f"bob owns {had} customers before"
    )
    cap = had + 1
    scenarios = {
        "cap 1": {"customer_owner_cap": cap, **dict.fromkeys(role_caps, cap), "pool_claim_daily_quota": 0},
        "quota 1": {"customer_owner_cap": 100000, **dict.fromkeys(role_caps, 100000), "pool_claim_daily_quota": 1},
    }
    keys = ["customer_owner_cap", *role_caps, "pool_claim_daily_quota"]
    saved = saved_parameters(keys)
    try:
        for label, values in scenarios.items():
            set_parameters(values)
            results = []
            for r in range(1, args.rounds + 1):
                ids = fresh_pool(admin, bob, args.threads)
                codes = one_round(bob.pk, ids)
                owned = Customer.objects.filter(pk__in=ids, owner=bob, in_pool=False).count()
                claims = ClaimLog.objects.filter(user=bob).count()
                other = sorted(c for c in codes if c not in (200, 400))
                results.append(owned if label.startswith("cap") else claims)
                print(
                    f"{label:8} round {r:2}: owned {owned:2}  claims {claims:2}  "
                    f"200: {codes.count(200):2}  400: {codes.count(400):2}" + (f"  other: {other}" if other else ""),
                    flush=True,
                )
            metric = "owned" if label.startswith("cap") else "claims"
            print(f"{label:8} {metric} per round: {results} (correct: 1 each)\n", flush=True)
    finally:
        restore_parameters(keys, saved)
        Customer.all_objects.filter(name__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
