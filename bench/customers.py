"""Customer list / search / 360° benchmark (issue #3 figures).

    .venv/bin/python bench/customers.py --db sqlite --customers 100000
    .venv/bin/python bench/customers.py --db postgres --customers 1000000

Seeds the dedicated bench database once (bulk), then times requests through the full Django
stack in-process (server-side time, no network) and the search SQL alone. Prints p50/p95 in ms
and the number of SQL queries per request.
"""

import argparse
import random
import time

from _setup import configure, ensure_data, percentile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    configure(args.db)
    ensure_data(args.customers)

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from basedata.models import DictItem
    from customers.models import Customer
    from customers.search import search_customers

    rng = random.Random(7)
    manager = User.objects.get(username="manager")
    alice = User.objects.get(username="alice")
    client = Client()
    client.force_login(manager)
    levels = list(DictItem.objects.filter(type__code="customer_level").values_list("pk", flat=True))
    province_ids = list(
        Customer.objects.filter(province__isnull=False).values_list("province_id", flat=True).distinct()[:10]
    )
    max_id = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    sample_ids = [i for i in (rng.randrange(1, max_id) for _ in range(400))]
    visible = list(Customer.objects.filter(pk__in=sample_ids, in_pool=False).values_list("pk", flat=True))[
        : args.repeat
    ]
    words_2 = ["科技", "龙虎", "华信", "软件", "物流", "贸易", "东方", "星辰", "中科", "智达"]
    initials = ["wj", "lh", "zw", "cm", "lj", "zy", "wf", "ly"]

    scenarios = {
        "default list (50 rows, newest first)": lambda i: "/customers/customers/",
        "filtered list (level+province+owner)": lambda i: (
            f"/customers/customers/?level={rng.choice(levels)}&province={rng.choice(province_ids)}&owner={alice.pk}"
        ),
        "search 2-char Chinese": lambda i: f"/customers/customers/?q={words_2[i % len(words_2)]}",
        "search pinyin initials": lambda i: f"/customers/customers/?q={initials[i % len(initials)]}",
        "360 page": lambda i: f"/customers/customers/{visible[i % len(visible)]}/",
        "API list": lambda i: "/api/v1/customers/",
    }
    print(
        f"\n{connection.vendor}: {Customer.all_objects.count():,} customers; "
        f"user=manager (department tree scope); repeat={args.repeat}"
    )
    print(f"{'scenario':42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for label, url_for in scenarios.items():
        client.get(url_for(0))  # warm
        times, queries = [], 0
        for i in range(args.repeat):
            url = url_for(i)
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries = max(queries, len(ctx.captured_queries))
        print(f"{label:42} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f} {queries:8d}")
        reset_queries()

    print("\nsearch SQL alone (all customers, unscoped), 50 rows:")
    print(f"{'query':20} {'p50 ms':>8} {'p95 ms':>8} {'rows':>6}")
    for q in ["科", "科技", "龙虎", "东方星辰", "lh", "longhu", "lhkj", "1380013"]:
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            rows = list(
                search_customers(Customer.objects.all(), q)
                .order_by("-created_at", "-id")
                .values_list("pk", flat=True)[:50]
            )
            times.append((time.perf_counter() - started) * 1000)
        print(f"{q:20} {percentile(times, 50):8.2f} {percentile(times, 95):8.2f} {len(rows):6d}")


if __name__ == "__main__":
    main()
