"""Browser tests: live server, a warm browser context, console/CSP capture, screenshots.

The browser itself (Debian /usr/bin/chromium, headless) and the demo personas come from
core/testing/fixtures.py; nothing here downloads a browser.
"""

import os
import threading
from pathlib import Path

import pytest
from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture(scope="session")
def live_server(request, django_db_setup):
    """pytest-django's live server, made safe for pages that fire parallel requests.

    In-memory SQLite: pytest-django's own fixture can start before the test database exists
    (a session fixture is set up before the function-level db fixtures), so it never sees the
    in-memory database and each server thread opens its own shared-cache connection; a page
    that loads several things at once (charts, htmx) then gets "database table is locked" from
    the session save. Here the test database is set up first, the server threads share the
    test's connection, and the application runs under a lock: the server stays threaded (an
    idle pre-connected browser socket cannot stall it) but the database sees one request at a
    time.
    PostgreSQL: no lock; server threads close their connection after each request
    (CONN_MAX_AGE=0), else the browser's idle keep-alive sockets hold sessions open and the test
    database cannot be dropped at the end ("being accessed by other users").
    """
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connections
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    class SerialisedWSGIServer(ThreadedWSGIServer):
        lock = threading.Lock()

        def set_app(self, application):
            def serialised(environ, start_response):
                with self.lock:
                    return application(environ, start_response)

            super().set_app(serialised if self.connections_override else application)

        def _close_connections(self):
            # The shared in-memory connection is never really closed, and once the server has
            # stopped sharing it a late keep-alive thread may not even touch it.
            if not self.connections_override:
                super()._close_connections()

    class Thread(LiveServerThread):
        server_class = SerialisedWSGIServer

    max_age = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0

    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    old = server.thread
    server.thread = Thread(old.host, old.static_handler, connections_override=old.connections_override, port=old.port)
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()
    connections.settings["default"]["CONN_MAX_AGE"] = max_age


# A page gets a securitypolicyviolation event for everything the CSP refuses (a style attribute
# set by a script through setAttribute or innerHTML included), whether or not Chromium's own
# console line reaches Playwright: every page of the context turns the event into a console
# error that the guard below sees (and assert_clean_console too).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation (event): " + e.violatedDirective + " blocked "
    + (e.blockedURI || "?") + " at " + (e.sourceFile || document.URL) + ":" + e.lineNumber + ":"
    + e.columnNumber + (e.sample ? " sample: " + e.sample : ""));
  window.__cspViolations = (window.__cspViolations || 0) + 1;
}, true);
"""
CSP_EVENT = "Content Security Policy violation (event)"


def is_csp_violation(text):
    return "Content Security Policy" in text


@pytest.fixture(scope="session")
def _warm_context(browser, browser_context_args, live_server):
    # Depends on live_server only so that it closes first: no browser socket outlives the server.
    context = browser.new_context(**browser_context_args)
    context.add_init_script(CSP_REPORTER)
    yield context
    context.close()


@pytest.fixture
def context(_warm_context):
    """One browser context per worker, emptied between tests (cookies, pages).

    Keeps the HTTP cache warm, so each test does not download Tabler, icons and htmx again
    (~0.5 s per test here). pytest-playwright's --tracing/--video options do not apply to
    these tests; screenshots are taken explicitly (var/screenshots/).
    """
    _warm_context.clear_cookies()
    _warm_context.clear_permissions()
    yield _warm_context
    for page in _warm_context.pages:
        page.close()


class CspViolations(list):
    """(page URL, message) of every CSP violation in any page of the test's browser context."""

    def on_console(self, message):
        if is_csp_violation(message.text):
            page = message.page
            self.append((page.url if page else "?", message.text))

    def on_weberror(self, error):
        # An eval refused by script-src is thrown as an EvalError naming the policy.
        if is_csp_violation(str(error.error)):
            self.append((error.page.url if error.page else "?", f"pageerror: {error.error}"))

    def flush(self, context):
        """Deliver the messages still on their way: one round trip per open page."""
        from playwright.sync_api import Error

        for page in context.pages:
            try:
                page.evaluate("0")
            except Error:  # closed, or navigating: its messages were delivered before
                pass

    def events(self):
        return [v for v in self if v[1].startswith(CSP_EVENT)]

    def report(self):
        return "\n".join(f"{url}: {text}" for url, text in self)


@pytest.fixture(autouse=True)
def csp_violations(request):
    """Every browser test fails on any CSP violation, on any page it visits, without asking.

    A test that provokes one on purpose asserts on this list and empties it."""
    if not {"page", "context"} & set(request.fixturenames):
        yield CspViolations()
        return
    context = request.getfixturevalue("context")
    found = CspViolations()
    context.on("console", found.on_console)
    context.on("weberror", found.on_weberror)
    yield found
    try:
        found.flush(context)
    finally:
        context.remove_listener("console", found.on_console)
        context.remove_listener("weberror", found.on_weberror)
    assert not found, f"{len(found)} CSP violation messages:\n" + found.report()


@pytest.fixture
def console(page):
    """Every console message and uncaught page error of the test, as text."""
    messages = []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    return messages


@pytest.fixture
def assert_clean_console(console):
    """Call at the end of a test: no CSP violation, script error or failed resource happened.

    (CSP violations also fail every browser test by themselves: see csp_violations.)

    `allow`: substrings of console errors the test expects (e.g. a page deliberately answering 403).
    """

    def check(allow=()):
        csp = [m for m in console if is_csp_violation(m)]
        assert not csp, "CSP violations:\n" + "\n".join(csp)
        errors = [m for m in console if m.startswith(("pageerror:", "error:")) and not any(text in m for text in allow)]
        assert not errors, "JavaScript or loading errors:\n" + "\n".join(errors)

    return check


@pytest.fixture
def screenshot(page):
    """screenshot("workbench-alice-en") → var/screenshots/workbench-alice-en.png"""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name, **kwargs):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), **kwargs)
        return path

    return take
