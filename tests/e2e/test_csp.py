"""The strict Content-Security-Policy in a real browser: no page breaks it (issue 10 item 15).

Every page of the left menu (admin sees them all, alice an account manager's share), in both
languages, with what a user opens there: the top bar's menus, each page's own dropdowns, a filter
of every list, the tabs of a detail page, the forms with their cascades and live warnings, search,
and a tooltip on every chart. Style attributes that vendor scripts write (ECharts' HTML tooltip,
for one) are refused by `style-src 'self' 'nonce-…'`; Chromium reports them as
securitypolicyviolation events, which the csp_violations guard (conftest.py) counts on every
page of every browser test. Run: DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/pytest tests/e2e/test_csp.py
"""

import re

import pytest
from playwright.sync_api import expect

from core.testing.helpers import login
from customers.tests.factories import make_contact, make_customer, make_followup, make_regions

from .test_customers import LIST, TIMEOUT, sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

# Listens on a drawn chart for its tooltip: ECharts fires showTip when one is shown.
WATCH_TOOLTIP = """el => { const chart = echarts.getInstanceByDom(el);
  chart.on('showTip', () => { el.dataset.tipShown = '1'; });
  const tooltip = chart.getOption().tooltip;
  return tooltip && tooltip[0] ? tooltip[0].renderMode : null; }"""


def seed(org):
    """A few customers of alice's with every charted dimension filled, a contact, a follow-up."""
    from basedata.models import DictItem

    regions = make_regions()

    def items(type_code):
        return list(DictItem.objects.filter(type__code=type_code, enabled=True).order_by("pk")[:2])

    dims = {
        d: items(code)
        for d, code in [
            ("level", "customer_level"),
            ("customer_type", "customer_type"),
            ("source", "customer_source"),
            ("industry", "industry"),
        ]
    }
    customers = []
    for i, province in enumerate([regions["bj"], regions["gd"], regions["bj"]]):
        data = {d: values[i % len(values)] for d, values in dims.items() if values}
        customers.append(make_customer(org["alice"], name=f"内容安全策略测试{i}有限公司", province=province, **data))
    make_contact(org["alice"], customers[0], name="张内容")
    make_followup(org["alice"], customers[0])
    return regions, customers[0]


def open_dropdowns(page, scope):
    for toggle in page.locator(f"{scope} [data-bs-toggle=dropdown]:visible").all():
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true", timeout=TIMEOUT)
        page.keyboard.press("Escape")


def filter_list(page):
    """Choose the first value of the filter bar's first dropdown; the results follow in place."""
    select = page.locator("#filter-form select").first
    if not select.count() or select.locator("option").count() < 2:
        return
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        select.select_option(index=1)
    expect(page).to_have_url(re.compile(r"\?"), timeout=TIMEOUT)


def open_tabs(page):
    for tab in page.locator("[data-bs-toggle=tab]:visible").all():
        tab.click()
        expect(tab).to_have_class(re.compile(r"\bactive\b"), timeout=TIMEOUT)


def hover_charts(page, modes):
    """Hover every chart until its tooltip shows; `modes`: chart URL → its tooltip's renderMode."""
    charts = page.locator("[data-echarts]")
    for i in range(charts.count()):
        chart = charts.nth(i)
        expect(chart).to_have_attribute("data-rendered", "1", timeout=TIMEOUT)
        if chart.locator("canvas").count() == 0:
            continue
        modes[chart.get_attribute("data-echarts")] = chart.evaluate(WATCH_TOOLTIP)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        # Right of the centre first: inside a pie's ring (35–70 % of its radius) and inside any
        # grid. A chart still animating may ignore one pointer move, so a few points are tried,
        # each approached from outside the chart (a fresh mousemove), until ECharts shows a tip.
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        size = min(box["width"], box["height"])
        for dx, dy in [(0.26, 0), (-0.26, 0), (0, 0.26), (0.1, 0.1), (0.3, -0.1), (0.26, 0)]:
            page.mouse.move(box["x"] - 5, box["y"] - 5)
            page.mouse.move(x + dx * size, y + dy * size, steps=3)
            try:
                expect(chart).to_have_attribute("data-tip-shown", "1", timeout=2_000)
                break
            except AssertionError:
                continue
        expect(chart).to_have_attribute("data-tip-shown", "1", timeout=TIMEOUT)
    return charts.count()


def visit(page, live_server, href, modes):
    response = page.goto(f"{live_server.url}{href}")
    assert response is not None and response.ok, f"{href}: {response and response.status}"
    expect(page.locator(".page-title")).to_be_visible(timeout=TIMEOUT)
    open_dropdowns(page, ".page-body")
    open_dropdowns(page, ".page-header")
    for toggle in page.locator(".page-body [data-bs-toggle=collapse]:visible").all():
        toggle.click()
    filter_list(page)
    open_tabs(page)
    return hover_charts(page, modes)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("username", ["admin", "alice"])
def test_no_csp_violation_on_any_page(page, live_server, org, csp_violations, username, language):
    regions, customer = seed(org)
    sign_in(page, live_server, org[username], language=language)
    menu = page.eval_on_selector_all("#sidebar-menu a.nav-link", "links => links.map(a => a.getAttribute('href'))")
    assert "/" in menu and LIST in menu and "/customers/overview/" in menu, menu

    # The top bar is the same on every page: its menus (bell, language, user) and search, once.
    open_dropdowns(page, "header.navbar")
    page.keyboard.press("Control+k")
    page.fill("#search-input", "内容")
    expect(page.locator("#search-hits a").first).to_be_visible(timeout=TIMEOUT)
    page.keyboard.press("Escape")

    per_page, charts, modes = {}, 0, {}
    pages = [
        *menu,
        "/accounts/profile/",
        "/accounts/password/",
        f"{LIST}{customer.pk}/",
        f"{LIST}{customer.pk}/edit/",
        f"{LIST}import/",
        f"{LIST}recycle-bin/",
        f"/customers/followups/add/?customer={customer.pk}",
        "/customers/contacts/add/",
    ]
    for href in pages:
        before = len(csp_violations)
        charts += visit(page, live_server, href, modes)
        if href == "/customers/overview/":
            assert charts >= 7, "the overview draws a chart per dimension"
        csp_violations.flush(page.context)
        per_page[href] = len(csp_violations) - before

    # A form's live parts: the region cascade and the duplicate warning, both swapped in by htmx.
    before = len(csp_violations)
    visit(page, live_server, f"{LIST}add/", modes)
    page.select_option("#id_province", str(regions["bj"].pk))
    expect(page.locator("#id_city option")).to_have_count(2, timeout=TIMEOUT)
    page.fill("#id_name", customer.name)
    expect(page.locator("#duplicate-alert")).to_be_visible(timeout=TIMEOUT)
    csp_violations.flush(page.context)
    per_page[f"{LIST}add/"] = len(csp_violations) - before

    if username == "admin":  # the API documentation (Swagger UI), linked from the profile page
        before = len(csp_violations)
        visit(page, live_server, "/accounts/profile/", modes)
        page.locator('a[href="/api/docs/"]').click()
        expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=3 * TIMEOUT)  # schema built
        page.locator(".opblock-summary").first.click()
        expect(page.locator(".opblock.is-open").first).to_be_visible(timeout=TIMEOUT)
        csp_violations.flush(page.context)
        per_page["/api/docs/"] = len(csp_violations) - before

    found, events = list(csp_violations), len(csp_violations.events())
    report = csp_violations.report()
    csp_violations.clear()  # reported here, once, with the pages named
    broken = {href: n for href, n in per_page.items() if n}
    assert not found, (
        f"{events} CSP violations ({len(found)} messages) on {len(broken)} of {len(per_page)} pages: {broken}\n{report}"
    )
    # The HTML tooltip (renderMode "html", ECharts' default in a browser) writes style attributes.
    assert set(modes.values()) == {"richText"}, modes


def test_guard_sees_style_attributes_set_by_scripts(page, live_server, org, csp_violations):
    """Chromium refuses a style attribute a script sets and reports it as an event; the guard counts it.
    A CSSOM write (element.style.x = …) is not governed by style-src and is not reported."""
    login(page, live_server, "alice")
    title = page.locator(".page-title")
    expect(title).to_be_visible(timeout=TIMEOUT)
    title.evaluate("el => el.setAttribute('style', 'outline: 3px solid red')")
    page.wait_for_function("window.__cspViolations === 1", timeout=TIMEOUT)
    assert title.evaluate("el => getComputedStyle(el).outlineStyle") == "none"  # refused
    title.evaluate("el => { el.style.outlineStyle = 'dotted'; el.setAttribute('style', 'color: red'); }")
    page.wait_for_function("window.__cspViolations === 2", timeout=TIMEOUT)
    assert title.evaluate("el => getComputedStyle(el).outlineStyle") == "dotted"  # CSSOM applies
    csp_violations.flush(page.context)
    events = csp_violations.events()
    assert len(events) == 2, csp_violations.report()
    assert all("style-src-attr" in text for _url, text in events), events
    csp_violations.clear()  # provoked on purpose


def test_tall_bar_chart_grows_its_box(page, live_server, org):
    """A bar chart that asks for more room (crmHeight) gets it without a style write of ours:
    ECharts draws at that height and the box follows (.crm-chart-fit)."""
    labels = [f"行业{i}" for i in range(30)]
    option = {
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "data": labels},
        "series": [{"type": "bar", "data": list(range(30))}],
        "crmHeight": 700,
    }
    page.route("**/customers/overview/industry.json", lambda route: route.fulfill(json=option))
    sign_in(page, live_server, org["alice"], language="en")
    page.goto(f"{live_server.url}/customers/overview/")
    chart = page.locator('[data-echarts$="/industry.json"]')
    expect(chart).to_have_attribute("data-rendered", "1", timeout=TIMEOUT)
    expect(chart).to_have_class(re.compile(r"\bcrm-chart-fit\b"))
    assert "height" not in (chart.get_attribute("style") or "")  # ECharts' own CSSOM writes only
    assert round(chart.bounding_box()["height"]) == 700
    assert chart.locator("canvas").evaluate("c => c.getBoundingClientRect().height") == 700
    assert chart.evaluate(WATCH_TOOLTIP) == "richText"
