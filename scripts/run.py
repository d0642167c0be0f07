#!/usr/bin/env python3
"""Run Guanxi CRM for development: migrate, seed demo data once, start web server + worker.

Used by `make run`. Steps:
1. `manage.py migrate`.
2. Demo data: on SQLite (no DATABASE_URL) `manage.py seed_demo` when the database file
   ($CRM_DATA_DIR/db.sqlite3, default ./var/db.sqlite3) did not exist before migrating;
   with DATABASE_URL set, `manage.py seed_demo --if-empty` (seeds only when there are no users).
3. `manage.py run_huey` (background jobs) and `manage.py runserver 127.0.0.1:8000 --noreload`
   as child processes. One Ctrl+C (or SIGTERM to this process) stops both; if either child
   exits, the other is stopped too.

Usage: python scripts/run.py [ADDR:PORT]
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("admin", "system administrator", "系统管理员"),
    ("manager", "sales manager", "销售主管"),
    ("alice", "account manager, Sales East", "客户经理，华东销售部"),
    ("bob", "account manager, Sales East", "客户经理，华东销售部"),
    ("charlie", "account manager, Sales North", "客户经理，华北销售部"),
    ("exec", "executive (read-only)", "高管（只读）"),
    ("agent", "customer service", "客服"),
]


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def run_step(*args: str) -> None:
    print(f"run: manage.py {' '.join(args)}", flush=True)
    result = subprocess.run(manage(*args), cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"run: `manage.py {' '.join(args)}` failed (exit {result.returncode})")


def sqlite_path() -> Path:
    data_dir = Path(os.environ.get("CRM_DATA_DIR") or "var")
    if not data_dir.is_absolute():
        data_dir = ROOT / data_dir
    return data_dir / "db.sqlite3"


def wait_for_port(host: str, port: int, procs: list[subprocess.Popen], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def print_banner(url: str) -> None:
    width = max(len(role) for _, role, _ in DEMO_USERS)
    lines = [
        "",
        f"Guanxi CRM is running at {url}  (Ctrl+C stops the web server and the worker)",
        f"Demo logins, password for all: {PASSWORD}",
        f"  {'user':<9}{'role':<{width + 2}}角色",
    ]
    lines += [f"  {u:<9}{en:<{width + 2}}{zh}" for u, en, zh in DEMO_USERS]
    print("\n".join(lines) + "\n", flush=True)


def stop(procs: list[subprocess.Popen], settle: float = 0.0, grace: float = 10.0) -> None:
    """Stop children: let them exit by themselves for `settle` seconds (they got the
    Ctrl+C too), then SIGTERM, then SIGKILL whatever outlives `grace`."""
    try:
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.1)
        for p in procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + grace
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    except KeyboardInterrupt:  # impatient second Ctrl+C
        for p in procs:
            if p.poll() is None:
                p.kill()
        raise


def main() -> int:
    os.chdir(ROOT)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    addrport = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000"
    host, _, port = addrport.rpartition(":")
    host = host or "127.0.0.1"

    def on_sigterm(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_sigterm)

    if os.environ.get("DATABASE_URL"):
        run_step("migrate", "--no-input")
        run_step("seed_demo", "--if-empty")
    else:
        db = sqlite_path()
        is_new = not db.exists()
        db.parent.mkdir(parents=True, exist_ok=True)
        run_step("migrate", "--no-input")
        if is_new:
            try:
                run_step("seed_demo")
            except (SystemExit, KeyboardInterrupt):
                print(
                    f"run: seeding did not finish; run `manage.py seed_demo --if-empty` or delete {db} and start again",
                    file=sys.stderr,
                )
                raise

    procs: list[subprocess.Popen] = []
    settle = 0.0
    try:
        procs.append(subprocess.Popen(manage("run_huey"), cwd=ROOT))
        procs.append(subprocess.Popen(manage("runserver", addrport, "--noreload"), cwd=ROOT))
        if host in ("0.0.0.0", "0", "::", "[::]"):
            host = "127.0.0.1"
        if wait_for_port(host.strip("[]"), int(port), procs, timeout=30):
            print_banner(f"http://{host}:{port}/")
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = next(p for p in procs if p.poll() is not None)
        name = "run_huey" if failed is procs[0] else "runserver"
        print(f"run: {name} exited (code {failed.returncode}); stopping", file=sys.stderr)
        return failed.returncode or 1
    except KeyboardInterrupt:
        # Ctrl+C reaches the children too (same process group); give them a moment.
        print("\nrun: stopping…", flush=True)
        settle = 5.0
        return 130
    finally:
        stop(procs, settle=settle)


if __name__ == "__main__":
    sys.exit(main())
