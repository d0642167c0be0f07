"""Shared bench setup: pick a database, migrate, seed the demo organisation and N customers."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(db, name="guanxi_bench"):
    """Point Django at a dedicated bench database (never the dev or test database)."""
    if db == "postgres":
        base = os.environ.get("BENCH_PG", "postgres://127.0.0.1:5432")
        exists = subprocess.run(
            ["psql", f"{base}/postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run(
                [
                    "psql",
                    f"{base}/postgres",
                    "-c",
                    f"CREATE DATABASE {name} LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8' TEMPLATE template0",
                ],
                check=True,
            )
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        # The production stack: PostgreSQL with Redis as the shared cache (filter choice lists,
        # the auth snapshot). BENCH_REDIS="" measures without it.
        redis = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/1")
        if redis:
            os.environ["REDIS_URL"] = redis
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["CRM_DATA_DIR"] = str(ROOT / "var" / "bench")
        # A small SQLite installation runs without Redis; BENCH_REDIS=redis://… measures with it.
        if os.environ.get("BENCH_REDIS"):
            os.environ["REDIS_URL"] = os.environ["BENCH_REDIS"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("HUEY_IMMEDIATE", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_data(customers):
    import time

    from accounts.demo import seed_organisation
    from basedata.demo import seed as seed_basedata
    from customers.demo import seed_customers
    from customers.models import Customer

    seed_organisation()
    seed_basedata()
    have = Customer.all_objects.count()
    if have < customers:
        print(f"seeding {customers - have} customers (have {have}) …", flush=True)
        started = time.monotonic()

        class Out:
            def write(self, s):
                print(s, flush=True)

        result = seed_customers(customers - have, stdout=Out(), seed=have + 1)
        print(
            f"seeded {result['customers']} customers, {result['contacts']} contacts, {result['followups']} follow-ups "
            f"in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as a production database would have


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    f = int(k)
    c = min(f + 1, len(values) - 1)
    return values[f] + (values[c] - values[f]) * (k - f)
