"""Profile one page through the full Django stack (cProfile), e.g.

.venv/bin/python bench/profile_page.py --db sqlite /customers/customers/
"""

import argparse
import cProfile
import pstats
import time

from _setup import configure


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--user", default="manager")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("url")
    args = parser.parse_args()
    configure(args.db)
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=args.user))
    assert client.get(args.url).status_code == 200
    started = time.perf_counter()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.repeat):
        client.get(args.url)
    profile.disable()
    print(f"{(time.perf_counter() - started) * 1000 / args.repeat:.1f} ms per request (profiled)")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
