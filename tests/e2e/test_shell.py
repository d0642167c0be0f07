"""The application shell in a real browser: login, workbench, language, bell, search, logout.

Issue #2. Every demo persona, in both languages, through the real forms and menus.
Run: DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/pytest -q -p no:cacheprovider tests/e2e
"""

import re

import pytest
from playwright.sync_api import expect

from core.testing.fixtures import PERSONAS
from core.testing.helpers import login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # pytest-base-url (pulled in by pytest-playwright) trips a pytest 9 deprecation; not ours.
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

TIMEOUT = 10_000  # ms; generous for a loaded CI machine, never a fixed sleep
HTML_LANG = {"zh-hans": "zh-CN", "en": "en"}
MENU_LABEL = {"zh-hans": "中文", "en": "EN"}  # language-menu caption, not translated
LANG_BUTTON = {"zh-hans": "#lang-zh", "en": "#lang-en"}
# Workbench heading: the zh catalogue may not be compiled yet, so zh accepts either wording.
WELCOME = {"zh-hans": re.compile("欢迎|Welcome"), "en": re.compile(r"^\s*Welcome, ")}


def other(language):
    return "en" if language == "zh-hans" else "zh-hans"


def switch_language(page, language):
    page.click("#language-menu")
    button = page.locator(LANG_BUTTON[language])
    expect(button).to_be_visible(timeout=TIMEOUT)
    button.click()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language], timeout=TIMEOUT)


def expect_workbench(page, live_server):
    expect(page).to_have_url(f"{live_server.url}/", timeout=TIMEOUT)
    expect(page.locator("#open-todos")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#home-notifications")).to_be_visible()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("username", PERSONAS)
def test_persona_shell(page, live_server, org, username, language, screenshot, assert_clean_console):
    from workspace.models import Notification
    from workspace.services import notify

    user = org[username]
    # Start in the other language, so the switch below must visibly change the page.
    type(user).objects.filter(pk=user.pk).update(language=other(language))

    # Log in through the real form and land on the workbench.
    login(page, live_server, username)
    expect_workbench(page, live_server)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", HTML_LANG[other(language)])
    expect(page.locator("#language-menu")).to_contain_text(MENU_LABEL[other(language)])

    # Language menu → the page follows, and the choice is stored on the user.
    switch_language(page, language)
    expect_workbench(page, live_server)
    expect(page.locator("#language-menu")).to_contain_text(MENU_LABEL[language])
    expect(page.locator(".page-title")).to_have_text(WELCOME[language])
    user.refresh_from_db()
    assert user.language == language

    # A notification arrives: the bell shows it, the dropdown lists it, opening marks it read.
    title = f"E2E notice for {username} ({language})"
    notify(recipients=[user], title=title, body="browser test")
    page.reload()
    expect(page.locator("#bell-count")).to_have_text("1", timeout=TIMEOUT)
    screenshot(f"workbench-{username}-{language}")
    page.click("#bell")
    item = page.locator("#bell-items").get_by_text(title)
    expect(item).to_be_visible(timeout=TIMEOUT)
    item.click()
    expect(page).to_have_url(re.compile(r"/workspace/notifications/"), timeout=TIMEOUT)
    expect(page.locator("#bell-count")).to_have_count(0)
    notification = Notification.objects.get(recipient=user, title=title)
    assert notification.read_at is not None

    # Log out through the user menu → the login page.
    page.click("#user-menu")
    expect(page.locator("#logout")).to_be_visible(timeout=TIMEOUT)
    page.click("#logout")
    # The login view redirects signed-in users away, so seeing its form means the session is gone.
    expect(page.locator("#login-submit")).to_be_visible(timeout=TIMEOUT)
    assert "/accounts/login/" in page.url

    assert_clean_console()


def test_lockout_after_five_failures(page, live_server, org, screenshot, assert_clean_console):
    page.goto(f"{live_server.url}/accounts/login/")
    for attempt in range(1, 6):
        page.fill("#id_username", "alice")
        page.fill("#id_password", f"wrong-password-{attempt}")
        page.click("#login-submit")
        expect(page.locator("#login-error")).to_be_visible(timeout=TIMEOUT)
    page.fill("#id_username", "alice")
    page.fill("#id_password", "demo-pass-2026")  # the right password no longer helps
    page.click("#login-submit")
    error = page.locator("#login-error")
    expect(error).to_be_visible(timeout=TIMEOUT)
    expect(error).to_contain_text("5")
    expect(page.locator("#open-todos")).to_have_count(0)
    screenshot("login-locked")
    # Not logged in: the workbench still sends us to the login page.
    page.goto(f"{live_server.url}/")
    expect(page.locator("#login-submit")).to_be_visible(timeout=TIMEOUT)
    assert_clean_console(allow=["status of 403"])  # the locked-out answer is a 403 page


def test_ctrl_k_search(page, live_server, org, screenshot, assert_clean_console):
    login(page, live_server, "admin")
    expect_workbench(page, live_server)
    page.keyboard.press("Control+k")
    modal = page.locator("#search-modal")
    expect(modal).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#search-input")).to_be_focused(timeout=TIMEOUT)
    page.fill("#search-input", "ali")
    results = page.locator("#search-results")
    expect(results.locator("#search-hits a").first).to_be_visible(timeout=TIMEOUT)
    expect(results).to_contain_text(org["alice"].name, timeout=TIMEOUT)
    screenshot("search-admin")
    results.get_by_text(org["alice"].name).click()
    expect(page).not_to_have_url(f"{live_server.url}/", timeout=TIMEOUT)
    assert_clean_console()


def test_phone_width(page, live_server, org, screenshot, assert_clean_console):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "alice")
    expect_workbench(page, live_server)
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible(timeout=TIMEOUT)
    menu = page.locator("#sidebar-menu")
    expect(menu).to_be_hidden()
    toggler.click()
    expect(menu).to_be_visible(timeout=TIMEOUT)
    # Nothing overflows sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide on a 390px screen"
    screenshot("workbench-alice-phone", full_page=True)
    assert_clean_console()


def test_every_menu_page_renders(page, live_server, org, console, assert_clean_console):
    """Each page in the admin's left menu (every module) opens without a server error, a CSP
    violation, a script error or a chart that fails to load."""
    login(page, live_server, "admin")
    expect_workbench(page, live_server)
    links = page.locator("#sidebar-menu a.nav-link").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert len(links) >= 3, links
    for href in [*links, "/accounts/profile/"]:
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.status == 200, f"{href} answered {response and response.status}"
        expect(page.locator(".page-title")).to_be_visible(timeout=TIMEOUT)
        # Charts load their data separately; each must draw (crm.js marks it data-rendered="1").
        pending = page.locator("[data-echarts]:not([data-rendered='1'])")
        expect(pending, f"charts on {href}: {console}").to_have_count(0, timeout=TIMEOUT)
    assert_clean_console()
