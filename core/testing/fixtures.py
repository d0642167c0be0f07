"""Shared pytest fixtures: the demo organisation as test personas, clients, browser launch.

A module's permission tests need only: a record owned by `alice`, then the persona clients.
    alice   account manager, Sales East, own scope       (owner)
    bob     account manager, Sales East, own scope       (same department, must not see alice's)
    charlie account manager, Sales North, own scope      (other department)
    manager sales manager, Sales + sub-departments scope (sees alice, bob, charlie)
    exec    executive, all scope, read-only
    agent   customer service, own scope
    admin   system administrator (superuser)
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PERSONAS = ("alice", "bob", "charlie", "manager", "exec", "agent", "admin")


@pytest.fixture
def org(db):
    from accounts.demo import seed_organisation
    from core.demo import seeders

    seeders()  # import every app's demo.py first: role grants must not depend on test order
    return seed_organisation(password="demo-pass-2026")


@pytest.fixture
def alice(org):
    return org["alice"]


@pytest.fixture
def bob(org):
    return org["bob"]


@pytest.fixture
def charlie(org):
    return org["charlie"]


@pytest.fixture
def manager(org):
    return org["manager"]


@pytest.fixture
def executive(org):
    return org["exec"]


@pytest.fixture
def agent(org):
    return org["agent"]


@pytest.fixture
def admin_user(org):
    return org["admin"]


@pytest.fixture
def web(org):
    """web("alice") → a django test Client logged in as that persona."""
    from django.test import Client

    def make(username):
        client = Client()
        client.force_login(org[username])
        return client

    return make


@pytest.fixture
def api(org):
    """api("alice") → a DRF APIClient authenticated as that persona."""
    from rest_framework.test import APIClient

    def make(username):
        client = APIClient()
        client.force_authenticate(org[username])
        return client

    return make


@pytest.fixture(autouse=True)
def _clear_caches():
    from .personas import clear_process_caches

    # Per-process copies too: another test's rows are not this one's.
    clear_process_caches()
    yield


@pytest.fixture(autouse=True)
def _reset_language():
    """The language middleware activates the user's language for the thread; never leak it
    into the next test of the same worker."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


# --- browser (Playwright + Debian chromium; never downloads a browser) --------------------
from .browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1366, "height": 900},
    }


@pytest.fixture
def shared_cache(settings):
    """The per-process copies that need a cache shared by all workers (core.cache.shared), on:
    LocMemCache is shared within the test process, as Redis is between a server's workers."""
    settings.CRM_SHARED_CACHE = True


def pytest_terminal_summary(terminalreporter):
    """The persona suite's size (core/tests/test_persona_suite.py): cells travel as user properties,
    so the count is right with xdist too."""
    reports = [r for r in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])]
    cells = [v for r in reports if r.when == "call" for k, v in r.user_properties if k == "persona_cells"]
    if cells:
        terminalreporter.write_line(f"persona suite: {sum(cells)} cells checked over {len(cells)} models")
