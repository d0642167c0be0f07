"""Load test: N simulated users (think time ~10 s) browsing customer lists, search and 360°
pages against granian (or, with --server gunicorn, gunicorn's sync workers; `pip install
gunicorn` first) on the bench database, for a fixed duration. Stops by itself.

    .venv/bin/python bench/load.py --db postgres --users 300 --duration 120

The load generator runs on the same machine as the server (2 cores here): its own CPU use is
included in the latencies it measures. Sessions are created directly (no password hashing).
"""

import argparse
import http.client
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from _setup import ROOT, configure, percentile

PORT = 8799


def wait_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def cpu_seconds(match):
    """CPU time (user + system) of every process whose command line contains `match`."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():  # the load generator's own command line may name the server
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if match.encode() not in fh.read():
                    continue
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--think", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="granian blocking threads per worker")
    parser.add_argument(
        "--server",
        choices=["granian", "gunicorn"],
        default="granian",
        help="gunicorn: sync workers, which accept a connection only when idle (one shared queue)",
    )
    args = parser.parse_args()
    configure(args.db)

    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    from accounts.models import User
    from customers.models import Customer

    users = list(User.objects.filter(username__in=["alice", "bob", "charlie", "manager", "exec"]))
    cookies = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.RoleBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
    # 360° pages each user may open (a customer outside one's scope is a 404, counted as an error).
    ids = {
        user.pk: list(Customer.objects.visible_to(user, "view").order_by("-id").values_list("pk", flat=True)[:500])
        for user in users
    }
    words = ["科技", "龙虎", "华信", "物流", "lh", "wj", "贸易", "东方"]

    env = {**os.environ, "CRM_ENV": "development", "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    if args.server == "granian":
        command = [
            "granian",
            "--interface",
            "wsgi",
            "crm.wsgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--workers",
            str(args.workers),
            "--blocking-threads",
            str(args.threads),
            "--log-level",
            "warning",
        ]
    else:
        command = ["gunicorn", "crm.wsgi:application", "--bind", f"127.0.0.1:{PORT}", "--workers", str(args.workers)]
        command += ["--worker-class", "sync", "--log-level", "warning"]
    command[0] = str(Path(sys.executable).parent / command[0])
    if not Path(command[0]).exists():
        sys.exit(f"{command[0]} is not installed (.venv/bin/pip install {args.server})")
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        if not wait_port(PORT):
            sys.exit("server did not start")
        results, lock, failures = [], threading.Lock(), {}
        stop_at = time.monotonic() + args.duration

        def user_loop(n):
            rng = random.Random(n)
            cookie, user_ids = cookies[n % len(cookies)], ids[users[n % len(users)].pk]
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            time.sleep(rng.uniform(0, args.think))  # spread the start
            while time.monotonic() < stop_at:
                kind = rng.choice(["list", "list", "search", "detail", "filter"])
                if kind == "list":
                    path = f"/customers/customers/?page={rng.randint(1, 5)}"
                elif kind == "search":
                    path = f"/customers/customers/?q={rng.choice(words)}"
                elif kind == "detail" and user_ids:
                    path = f"/customers/customers/{rng.choice(user_ids)}/"
                else:
                    path = "/customers/customers/?view=mine"
                from urllib.parse import quote

                path = quote(path, safe="/?=&")
                started = time.perf_counter()
                ok, server_ms = False, None
                try:
                    try:
                        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
                        response = conn.getresponse()
                    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                        # The server closed an idle keep-alive connection during the think time;
                        # a browser reconnects and resends, and so does this user.
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                        started = time.perf_counter()
                        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
                        response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                    timing = response.getheader("Server-Timing") or ""
                    if "dur=" in timing:
                        server_ms = float(timing.split("dur=")[1].split(",")[0])
                    if not ok:
                        with lock:
                            failures.setdefault((response.status, response.getheader("Location")), path)
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        failures.setdefault((type(exc).__name__, str(exc)[:80]), path)
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                with lock:
                    results.append((kind, (time.perf_counter() - started) * 1000, ok, server_ms))
                time.sleep(rng.expovariate(1 / args.think))

        cpu_before = {name: cpu_seconds(name) for name in (args.server, "postgres")}
        threads = [threading.Thread(target=user_loop, args=(n,), daemon=True) for n in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.duration + 60)
        cpu_used = {name: cpu_seconds(name) - before for name, before in cpu_before.items()}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    times = [r[1] for r in results]
    errors = sum(1 for r in results if not r[2])
    print(
        f"\n{args.users} users, think ~{args.think:.0f} s, {args.duration} s, "
        f"{args.server} {args.workers} workers x {args.threads} threads, db={args.db}"
    )
    print(f"requests {len(results)}  ({len(results) / args.duration:.1f}/s)  errors {errors}")
    print(
        f"latency ms: p50 {percentile(times, 50):.0f}  p95 {percentile(times, 95):.0f}  "
        f"p99 {percentile(times, 99):.0f}  max {max(times, default=0):.0f}"
    )
    server = [r[3] for r in results if r[3] is not None]
    if server:
        print(
            f"server-side (Server-Timing) ms: p50 {percentile(server, 50):.0f}  p95 {percentile(server, 95):.0f}  "
            f"p99 {percentile(server, 99):.0f}"
        )
    for kind in ("list", "filter", "search", "detail"):
        k = [r[1] for r in results if r[0] == kind]
        if k:
            print(f"  {kind:7} n={len(k):5d}  p50 {percentile(k, 50):6.0f}  p95 {percentile(k, 95):6.0f}")
    for (status, detail), path in list(failures.items())[:10]:
        print(f"  failure: {status} {detail or ''} (first seen on {path})")
    for name, used in cpu_used.items():
        print(
            f"{name} CPU: {used / args.duration:.2f} cores on average, "
            f"{used * 1000 / max(len(results), 1):.1f} ms per request"
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"load generator CPU: {(usage.ru_utime + usage.ru_stime) / args.duration:.2f} cores on average")
    print("(client-measured; the load generator shares the machine's 2 cores with the server)")


if __name__ == "__main__":
    main()
