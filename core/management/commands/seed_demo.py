import time

from django.core.management.base import BaseCommand

from core import context
from core.demo import seeders


class Command(BaseCommand):
    help = "Create demo data for every module (departments, roles, demo logins, …)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when users already exist.")
        parser.add_argument("--customers", type=int, default=200, help="Number of demo customers (customer module).")

    def handle(self, *args, **options):
        from django.contrib.auth import get_user_model

        User = get_user_model()

        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Database already has users; demo data not loaded.")
            return
        started = time.monotonic()
        for stream in ("stdout", "stderr"):  # call_command(stdout=…) passes them as options too
            options.pop(stream, None)
        with context.request_context(source="seed"):
            for seeder in seeders():
                seeder(stdout=self.stdout, **options)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))
        self.stdout.write("Demo logins (password demo-pass-2026): admin, manager, alice, bob, charlie, exec, agent")
