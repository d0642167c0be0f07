"""The customer autocomplete in a real browser (issue 11 item 5): a search box over the viewer's
own customers instead of a <select> of every customer.

Follow-up form: type part of a name (Chinese, then pinyin initials), pick with the mouse and with
the keyboard, save. Contacts list: the filter bar's customer box filters the list in place.
Run: .venv/bin/pytest -p no:randomly tests/e2e/test_autocomplete.py
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.testing.helpers import login
from customers.tests.factories import make_contact, make_customer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

TIMEOUT = 10_000  # ms, never a fixed sleep


def sign_in(page, live_server, user):
    page.context.clear_cookies()
    login(page, live_server, user.username)
    expect(page.locator("#open-todos")).to_be_visible(timeout=TIMEOUT)


def test_pick_a_customer_in_the_follow_up_form_and_save(page, live_server, org, screenshot, assert_clean_console):
    from customers.models import FollowUp

    alice, bob = org["alice"], org["bob"]
    mine = make_customer(alice, name="杭州龙湖科技有限公司")
    other = make_customer(alice, name="苏州恒通机械制造有限公司")
    make_customer(bob, name="北京龙湖地产有限公司")  # bob's: never offered to alice
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/customers/followups/add/")

    box = page.locator("#id_customer_search")
    listbox = page.locator("#id_customer_listbox")
    expect(page.locator("#id_customer")).to_be_hidden()
    expect(page.locator("label[for=id_customer_search]")).to_be_visible()
    box.press_sequentially("龙湖")
    options = listbox.locator("[role=option]")
    expect(options).to_have_count(1, timeout=TIMEOUT)
    expect(options.first).to_have_text(mine.name)
    screenshot("autocomplete-followup-form-zh")
    options.first.click()
    expect(box).to_have_value(mine.name)
    expect(page.locator("#id_customer")).to_have_value(str(mine.pk))
    expect(listbox).to_be_hidden()

    # Pinyin initials and the keyboard: the choice follows.
    box.fill("")
    box.press_sequentially("htjx")
    expect(options).to_have_count(1, timeout=TIMEOUT)
    expect(options.first).to_have_text(other.name)
    box.press("ArrowDown")
    box.press("Enter")  # picks, does not submit the form
    expect(page.locator("#id_customer")).to_have_value(str(other.pk))
    expect(page).to_have_url(re.compile(r"/customers/followups/add/$"))

    happened = timezone.localtime().replace(second=0, microsecond=0)
    page.fill("#id_happened_at", f"{happened:%Y-%m-%dT%H:%M}")
    page.fill("#id_summary", "电话沟通")
    page.click("#save")
    expect(page.locator(".crm-messages")).to_contain_text("电话沟通", timeout=TIMEOUT)
    followup = FollowUp.objects.get(summary="电话沟通")
    assert (followup.customer, followup.happened_at) == (other, happened)

    # Editing it shows the customer in the (disabled) box: its name, from the one row selected.
    page.goto(f"{live_server.url}/customers/followups/{followup.pk}/edit/")
    expect(page.locator("#id_customer_search")).to_have_value(other.name)
    expect(page.locator("#id_customer_search")).to_be_disabled()
    assert_clean_console()


def test_the_filter_bar_customer_box_filters_the_list(page, live_server, org, assert_clean_console):
    alice = org["alice"]
    first = make_customer(alice, name="杭州龙湖科技有限公司")
    second = make_customer(alice, name="苏州恒通机械制造有限公司")
    make_contact(alice, first, name="王华")
    make_contact(alice, second, name="李明")
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/customers/contacts/")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2, timeout=TIMEOUT)

    box = page.locator("#id_customer_search")
    list_requests = []
    page.on("request", lambda r: list_requests.append(r.url) if "/customers/contacts/" in r.url else None)
    box.press_sequentially("恒通")
    option = page.locator("#id_customer_listbox [role=option]")
    expect(option).to_have_count(1, timeout=TIMEOUT)
    # Typing alone did not reload the list (the box's input events stay in the box).
    assert list_requests == []
    option.click()
    expect(page).to_have_url(re.compile(rf"customer={second.pk}"), timeout=TIMEOUT)
    expect(rows).to_have_count(1, timeout=TIMEOUT)
    expect(rows.first).to_contain_text("李明")

    # Emptying the box removes the filter.
    box.fill("")
    expect(rows).to_have_count(2, timeout=TIMEOUT)
    assert_clean_console()
