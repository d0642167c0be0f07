"""Customer import / export benchmark (issue #3): 100,000 rows.

    .venv/bin/python bench/import_export.py --db postgres --rows 100000 [--dbname guanxi_io]

Writes an XLSX of N new customers, runs the real import (check, then commit) as the job would,
then exports N customers to XLSX and CSV. Prints wall time and the process's peak memory
(ru_maxrss) after each step; each step runs in its own process so the peaks are separate.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from _setup import ROOT, configure


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_file(path, rows):
    import xlsxwriter

    cities = ["北京", "上海", "广州", "深圳", "杭州", "成都"]
    run = int(time.time()) % 100000  # new names on every run: the import must create, not skip
    # Valid mainland prefixes only (154, 16x… are not); the run number keeps the mobiles new too,
    # else a second run would only find duplicates of the first.
    prefixes = ["13" + str(d) for d in range(10)] + ["18" + str(d) for d in range(10)]
    prefix = prefixes[(run // 100) % len(prefixes)]
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["customer name", "level", "industry", "province", "mobile", "email", "address"])
    for i in range(rows):
        sheet.write_row(
            i + 1,
            0,
            [
                f"{cities[i % 6]}导入{run}测试{i}科技有限公司",
                "重要客户" if i % 3 else "普通客户",
                "信息技术",
                "广东省",
                f"{prefix}{run % 100:02d}{i:06d}",
                f"imp{run}-{i}@bench.cn",
                f"测试路{i}号",
            ],
        )
    book.close()


def step_import(db, path, commit_too=True, dbname="guanxi_bench"):
    configure(db, name=dbname)
    from django.core.files import File

    from accounts.demo import seed_organisation
    from basedata.demo import seed as seed_basedata
    from core.models import ImportJob
    from customers.importing import run_customer_import

    users = seed_organisation()
    seed_basedata()
    user = users["manager"]
    with open(path, "rb") as fh:
        job = ImportJob.objects.create(
            model_label="customers.customer",
            file=File(fh, name=path.name),
            original_name=path.name,
            options={"duplicate_strategy": "skip", "target": "me"},
            created_by=user,
        )
    from accounts.models import AuditEntry
    from customers.models import Customer

    marks = {
        "customer": Customer.all_objects.order_by("-id").values_list("id", flat=True).first() or 0,
        "audit": AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0,
    }
    started = time.monotonic()
    run_customer_import(job, user=user, commit=False)
    check_s = time.monotonic() - started
    result = {"check_s": check_s, "valid": job.valid_rows, "errors": len(job.errors)}
    if commit_too:
        started, cpu = time.monotonic(), time.process_time()
        run_customer_import(job, user=user, commit=True)
        result.update(
            commit_s=time.monotonic() - started,
            commit_cpu_s=time.process_time() - cpu,  # this process (all threads); the database's is not in it
            created=job.created_rows,
            skipped=job.skipped_rows,
        )
    result["peak_mb"] = peak_mb()
    result["marks"] = marks
    # Planner statistics for the export steps, as autovacuum would gather them after 100,000
    # new rows in production (it is off on the bench server): not part of the figures.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps(result))


def step_cleanup(db, marks, dbname="guanxi_bench"):
    """Delete what the import created: repeated runs would otherwise pile 100,000 look-alike
    customers at the newest end of the bench database, which no real database has and which
    skews every newest-first figure taken on it afterwards."""
    configure(db, name=dbname)
    from django.db import connection, transaction

    customer, audit = marks
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("customers_ownerhistory", "customers_contact", "customers_followup", "customers_customer_tags"):
            cursor.execute(f"DELETE FROM {table} WHERE customer_id > %s", [customer])
        cursor.execute("DELETE FROM customers_claimlog WHERE customer_id > %s", [customer])
        cursor.execute("DELETE FROM customers_customer WHERE id > %s", [customer])
        cursor.execute("DELETE FROM accounts_auditentry WHERE id > %s", [audit])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer" if connection.vendor == "postgresql" else "ANALYZE")
    print(json.dumps({"seconds": time.monotonic() - started}))


def step_export(db, rows, fmt, dbname="guanxi_bench"):
    configure(db, name=dbname)
    from core.exporting import export_response
    from core.registry import get_config
    from customers.models import Customer

    config = get_config(Customer)
    qs = config.base_queryset().filter(pk__in=Customer.objects.order_by("-id").values("pk")[:rows])
    started = time.monotonic()
    response = export_response(qs, config.export_fields, fmt, "customers")
    size = 0
    if hasattr(response, "streaming_content"):
        for chunk in response.streaming_content:
            size += len(chunk)
    else:
        size = len(response.content)
    print(
        json.dumps(
            {
                "format": fmt,
                "rows": qs.count(),
                "seconds": time.monotonic() - started,
                "bytes": size,
                "peak_mb": peak_mb(),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--dbname", default="guanxi_bench", help="PostgreSQL database to use (created if missing; postgres only)"
    )
    parser.add_argument("--step", choices=["all", "import", "export-xlsx", "export-csv", "cleanup"], default="all")
    parser.add_argument("--marks", default="", help="cleanup: last customer id,last audit id before the import")
    parser.add_argument("--file", default=str(ROOT / "var" / "bench-import.xlsx"))
    args = parser.parse_args()
    path = Path(args.file)
    if args.step == "import":
        return step_import(args.db, path, dbname=args.dbname)
    if args.step == "cleanup":
        return step_cleanup(args.db, [int(v) for v in args.marks.split(",")], dbname=args.dbname)
    if args.step.startswith("export"):
        return step_export(args.db, args.rows, args.step.split("-")[1], dbname=args.dbname)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    make_file(path, args.rows)
    print(
        f"wrote {args.rows} rows to {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - started:.1f} s"
    )
    marks = ""
    for step in ("import", "export-xlsx", "export-csv", "cleanup"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--db",
                args.db,
                "--dbname",
                args.dbname,
                "--rows",
                str(args.rows),
                "--step",
                step,
                "--file",
                str(path),
                "--marks",
                marks,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode != 0 or not lines:
            print(out.stdout[-2000:], out.stderr[-4000:])
            sys.exit(f"step {step} failed")
        data = json.loads(lines[-1])
        if "marks" in data:
            marks = f"{data['marks']['customer']},{data['marks']['audit']}"
            del data["marks"]
        print(
            f"{step:12} " + "  ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in data.items())
        )


if __name__ == "__main__":
    main()
