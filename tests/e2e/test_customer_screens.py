"""Customer screens in a real browser at a laptop's width: the public pool fits its card and its
batch actions work; the list's region filters follow each other and the saved-view buttons
follow the filter. Run: .venv/bin/pytest -p no:randomly tests/e2e/test_customer_screens.py
"""

import re

import pytest
from playwright.sync_api import expect

from customers.tests.factories import make_customer, make_regions

from .test_customers import LIST, TIMEOUT, dict_item, result_rows, sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pool_fits_1280_and_batch_claims(page, live_server, org, screenshot, assert_clean_console, language):
    from basedata.models import Region
    from customers.models import Customer
    from customers.services import customer_release

    alice, manager = org["alice"], org["manager"]
    regions = make_regions()
    guangxi = Region.objects.create(code="450000", name="广西壮族自治区", name_en="", level=1, parent=regions["cn"])
    # The longest labels of the demo dictionaries, in both languages.
    level, industry = dict_item("customer_level", "key"), dict_item("industry", "it")
    wholesale = dict_item("industry", "retail")
    pooled = []
    names = ["广西南宁东方国际贸易集团股份有限公司", "北京龙虎科技有限公司", "Pacific Logistics Co., Ltd."]
    for i, name in enumerate(names):
        c = make_customer(
            alice,
            name=name,
            province=guangxi,
            level=level,
            industry=industry if i % 2 else wholesale,
            phone=f"0771-123456{i}",
            email=f"info{i}@example.cn",
        )
        pooled.append(customer_release(actor=alice, customer=c, reason="长期未跟进，客户暂无采购计划，退回公海"))

    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, manager, language=language)
    page.goto(f"{live_server.url}/customers/pool/")
    expect(result_rows(page)).to_have_count(3, timeout=TIMEOUT)
    screenshot(f"customer-pool-1280-{language}")

    # The table fits its card: nothing to scroll sideways, Claim and the batch controls on screen.
    sizes = page.evaluate(
        """() => { const box = document.querySelector('#results .table-responsive');
                   return [box.scrollWidth, box.clientWidth]; }"""
    )
    assert sizes[0] <= sizes[1], sizes
    for locator in (page.locator(f'[data-claim="{pooled[0].pk}"]'), page.locator("#assign-selected")):
        box = locator.bounding_box()
        assert box and box["x"] + box["width"] <= 1280, box
    # 广西壮族自治区 stays on one line; the select shows its whole placeholder.
    lines = page.evaluate(
        """() => { const td = [...document.querySelectorAll('#results tbody td')]
                        .find(td => td.textContent.trim() === '广西壮族自治区');
                   const range = document.createRange(); range.selectNodeContents(td);
                   return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""
    )
    assert lines == 1
    owner = page.locator("#bulk-form select[name=owner]")
    assert owner.evaluate("el => el.scrollWidth <= el.clientWidth + 1")

    # Check two rows and claim them at once.
    page.locator(f'#results input[name="pk"][value="{pooled[0].pk}"]').check()
    page.locator(f'#results input[name="pk"][value="{pooled[1].pk}"]').check()
    expect(page.locator("#bulk-count")).to_have_text("2")
    page.click("#claim-selected")
    expect(result_rows(page)).to_have_count(1, timeout=TIMEOUT)
    assert {c.owner for c in Customer.objects.filter(pk__in=[pooled[0].pk, pooled[1].pk])} == {manager}
    assert Customer.objects.get(pk=pooled[2].pk).in_pool
    assert_clean_console()


def test_list_region_filters_and_saved_view_highlight(page, live_server, org, assert_clean_console):
    alice = org["alice"]
    regions = make_regions()
    make_customer(alice, name="朝阳客户", province=regions["bj"], city=regions["bjc"], district=regions["cy"])
    make_customer(alice, name="海淀客户", province=regions["bj"], city=regions["bjc"], district=regions["hd"])
    make_customer(alice, name="天河客户", province=regions["gd"], city=regions["gz"], district=regions["th"])

    sign_in(page, live_server, alice, language="en")
    page.goto(f"{live_server.url}{LIST}")
    expect(result_rows(page)).to_have_count(3, timeout=TIMEOUT)
    views = page.locator('[role="tablist"]')
    all_button = views.locator('a[href="?"]')
    expect(all_button).to_have_class(re.compile(r"\bbtn-primary\b"))
    expect(page.locator("label[for=id_customer_type]")).to_have_text("Customer type")

    # Province → its cities → its districts; the results follow each choice in place.
    page.select_option("#id_province", str(regions["bj"].pk))
    expect(page.locator("#id_city option")).to_have_count(2, timeout=TIMEOUT)
    expect(result_rows(page)).to_have_count(2, timeout=TIMEOUT)
    expect(all_button).not_to_have_class(re.compile(r"\bbtn-primary\b"), timeout=TIMEOUT)
    page.select_option("#id_city", str(regions["bjc"].pk))
    expect(page.locator("#id_district option")).to_have_count(3, timeout=TIMEOUT)
    # (a user's pace: the results of one choice arrive before the next one; htmx would cancel them)
    expect(page).to_have_url(re.compile(rf"[?&]city={regions['bjc'].pk}(&|$)"), timeout=TIMEOUT)
    page.select_option("#id_district", str(regions["hd"].pk))
    expect(result_rows(page)).to_have_count(1, timeout=TIMEOUT)
    expect(result_rows(page)).to_contain_text("海淀客户")
    expect(page).to_have_url(re.compile(rf"[?&]district={regions['hd'].pk}(&|$)"), timeout=TIMEOUT)

    # Another province: the city and district left over from Beijing are dropped, not kept.
    page.select_option("#id_province", str(regions["gd"].pk))
    expect(page.locator("#id_city option")).to_have_count(2, timeout=TIMEOUT)
    expect(page.locator("#id_city")).to_have_value("")
    expect(page.locator("#id_district option")).to_have_count(1, timeout=TIMEOUT)
    expect(result_rows(page)).to_contain_text("天河客户", timeout=TIMEOUT)
    expect(result_rows(page)).to_have_count(1, timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(rf"[?&]province={regions['gd'].pk}&"), timeout=TIMEOUT)
    assert "city=&" in page.url and re.search(r"district=(&|$)", page.url)

    # Clearing the filter brings "All" back.
    page.select_option("#id_province", "")
    expect(result_rows(page)).to_have_count(3, timeout=TIMEOUT)
    expect(all_button).to_have_class(re.compile(r"\bbtn-primary\b"), timeout=TIMEOUT)
    # The region selects sync with hx-sync="this:replace": when a change overtakes a request still
    # in flight (seen once under a loaded CI machine), htmx aborts the older one and logs the
    # abort (afterRequest + sendAbort) as an error. Failed requests still fail the test: they log
    # htmx:sendError or htmx:responseError.
    assert_clean_console(allow=("htmx:sendAbort", "htmx:afterRequest, [object HTMLSelectElement]"))
