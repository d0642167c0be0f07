#!/usr/bin/env python3
"""Take the user-guide screenshots from a running Guanxi CRM server.

    .venv/bin/python docs/screenshots.py                         # http://127.0.0.1:8000, English
    .venv/bin/python docs/screenshots.py http://127.0.0.1:8765 --lang zh-hans --out docs/img/zh
    .venv/bin/python docs/screenshots.py http://127.0.0.1:8765 --only customers   # one group only

Needs a server with the demo data (`manage.py seed_demo`), background jobs running (`make run`,
or HUEY_IMMEDIATE=1 for a bare runserver) and Debian's chromium at
/usr/bin/chromium (override with CRM_CHROMIUM); no browser is downloaded. Logs in as the demo
admin, visits each page and writes one PNG per page to --out (default docs/img/). Pages are
captured at 1280x800, so each file stays well under 300 KB. The admin's language is restored
at the end. Traces it leaves in the demo data: per run, one checked-but-not-imported import job
for dictionary items and one for customers; two customers deleted and restored (audit entries);
once per language, one follow-up (with a to-do for the owner) on the customer of the 360° page.
"""

import argparse
import os
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from core.testing.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

LAUNCH_ARGS = CHROMIUM_ARGS

VIEWPORT = {"width": 1280, "height": 800}
MAX_BYTES = 300 * 1024
TIMEOUT = 15_000
HTML_LANG = {"en": "en", "zh-hans": "zh-CN"}
# A small dictionary-item file with two bad rows, to show the import check report (never confirmed).
IMPORT_SAMPLE = (
    "dictionary,code,Chinese label,English label,order,enabled\n"
    "customer_level,docs-sample,示例级别,Sample level,90,yes\n"
    "customer_level,docs-sample-2,,Label missing,91,yes\n"
    "no_such_dictionary,docs-sample-3,未知字典,Unknown dictionary,92,yes\n"
).encode()
# Groups of pictures for --only: the getting-started guide's, then the customers guide's.
# "pool" takes only the public-pool picture, which "customers" includes (not in the default run).
GROUPS = ["start", "admin", "customers"]


def first_object_url(page: Page, list_url: str, pattern: str) -> str:
    """URL of the first row's detail page on a list page (hrefs like /accounts/roles/3/)."""
    page.goto(list_url)
    for href in page.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        if re.fullmatch(pattern, href or ""):
            return href
    raise SystemExit(f"no link matching {pattern} on {list_url}")


def set_language(page: Page, language: str) -> None:
    page.click("#language-menu")
    page.click("#lang-en" if language == "en" else "#lang-zh")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language], timeout=TIMEOUT)


def shoot(page: Page, out: Path, name: str, *, full_page: bool = False) -> Path:
    page.wait_for_load_state("networkidle")
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    size = path.stat().st_size
    if size > MAX_BYTES:  # keep the repository light: fall back to the first screen only
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        size = path.stat().st_size
    print(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}  {size // 1024} KB")
    return path


# Texts the customer pages type in, per UI language (the demo data itself is Chinese).
CUSTOMER_TEXTS = {
    "en": {
        "followup": "Demo of the new version; quote sent",
        "place": "Customer's office",
        "import_header": "customer name,short name,level,source,industry,province,city,mobile,email",
        "import_rows": [
            "深圳星河电子有限公司,星河电子,Key account,Trade fair,Information technology,广东,深圳,13912345678,"
            "info@xinghe.example.cn",
            "成都蓝海物流有限公司,蓝海物流,Regular,Referral,Logistics,四川,成都,13698765432,",
            "{existing},,Regular,,,,,,",
            "武汉光谷生物有限公司,,Regular,Website,Healthcare,湖北,武汉,1234567,",
            "青岛海风贸易有限公司,,Diamond,,,山东,青岛,,",
            ",无名公司,Regular,,,,,,",
            "深圳星河电子有限公司,,Key account,,,,,,",
        ],
    },
    "zh-hans": {
        "followup": "演示新版本，已发送报价",
        "place": "客户办公室",
        "import_header": "客户名称,简称,级别,来源,行业,省份,城市,手机,电子邮箱",
        "import_rows": [
            "深圳星河电子有限公司,星河电子,重点客户,展会,信息技术,广东,深圳,13912345678,info@xinghe.example.cn",
            "成都蓝海物流有限公司,蓝海物流,普通客户,客户介绍,交通物流,四川,成都,13698765432,",
            "{existing},,普通客户,,,,,,",
            "武汉光谷生物有限公司,,普通客户,网站,医疗健康,湖北,武汉,1234567,",
            "青岛海风贸易有限公司,,钻石客户,,,山东,青岛,,",
            ",无名公司,普通客户,,,,,,",
            "深圳星河电子有限公司,,重点客户,,,,,,",
        ],
    },
}
CUSTOMER_URL = r"/customers/customers/\d+/"


def customer_links(page: Page, list_url: str) -> list[str]:
    """Detail-page hrefs of the customers on one list page, in list order, without repeats."""
    page.goto(list_url)
    hrefs = page.locator("#results a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if re.fullmatch(CUSTOMER_URL, h or "")))


def showcase_customer(page: Page, base: str, nth: int) -> str:
    """The nth (0-based) tagged customer, by code, with an owner, two contacts and three follow-ups.

    Each language takes its own customer, so the follow-up the script adds shows up in one language."""
    page.goto(f"{base}/customers/customers/")
    tags = page.locator("#id_tags option").evaluate_all("els => els.map(e => e.value).filter(Boolean)")
    query = "&".join(f"tags={t}" for t in tags)
    found = 0
    for href in customer_links(page, f"{base}/customers/customers/?{query}&sort=code&per_page=100"):
        page.goto(f"{base}{href}")
        rich = (
            page.locator("#owner-name").inner_text().strip() not in ("", "—")
            and page.locator("#tab-contacts tbody td a").count() >= 2
            and page.locator("#tab-followups .crm-timeline li a").count() >= 3
        )
        if rich:
            if found == nth:
                return href
            found += 1
    raise SystemExit("no demo customer with an owner, two contacts and three follow-ups: run manage.py seed_demo")


def add_followup(page: Page, base: str, customer: str, texts: dict) -> None:
    """Record a follow-up with a next date through the form, once (the 360° timeline then shows it)."""
    page.goto(f"{base}{customer}")
    if page.locator("#tab-followups").get_by_text(texts["followup"]).count():
        return
    page.click("#add-followup")
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0)
    page.select_option("#id_channel", index=1)
    page.fill("#id_happened_at", f"{now - timedelta(hours=1):%Y-%m-%dT%H:%M}")
    page.fill("#id_place", texts["place"])
    page.fill("#id_summary", texts["followup"])
    page.fill("#id_next_followup_at", f"{now + timedelta(days=7):%Y-%m-%dT10:00}")
    page.click("#save")
    page.wait_for_load_state("networkidle")


def customer_pages(page: Page, base: str, out: Path, language: str) -> None:
    """Customer list (filter, pinyin search), duplicate warning, 360° page, public pool, import check
    report, overview charts and recycle bin. Adds one follow-up per language (once), leaves one checked,
    never imported, import job per run, and restores the two customers it deletes."""
    texts = CUSTOMER_TEXTS[language]
    customers = f"{base}/customers/customers/"

    # The list with a filter chosen in the filter bar (htmx reloads the results) and two rows ticked.
    page.goto(customers)
    page.select_option("#id_level", index=1)
    expect(page).to_have_url(re.compile(r"level="), timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")
    boxes = page.locator("#results tbody input[name=pk]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("#bulk-count")).to_have_text("2")
    shoot(page, out, "customers")

    page.goto(f"{customers}?q=xiamen")  # pinyin of 厦门
    # Scroll the search box up under the top bar: more result rows, the query still in view.
    page.mouse.wheel(0, page.locator("label[for=id_q]").bounding_box()["y"] - 70)
    page.wait_for_timeout(300)
    shoot(page, out, "customers-search")

    customer = showcase_customer(page, base, 0 if language == "en" else 1)
    add_followup(page, base, customer, texts)
    page.goto(f"{base}{customer}")
    name = page.title().split(" · ")[0].strip()
    page.click("a[href='#tab-followups']")
    expect(page.locator("#tab-followups")).to_be_visible()
    shoot(page, out, "customer-360")

    # New customer: the name without its legal suffix still finds the existing company.
    page.goto(f"{customers}add/")
    page.fill("#id_name", name.removesuffix("有限公司"))
    expect(page.locator("#duplicate-alert")).to_be_visible(timeout=TIMEOUT)
    shoot(page, out, "customer-duplicate")

    pool_page(page, base, out)

    # Import check (dry run): upload a small file and read the report; never confirmed.
    page.goto(f"{customers}import/")
    sample = "\n".join([texts["import_header"], *texts["import_rows"]]).replace("{existing}", name) + "\n"
    page.set_input_files(
        "input[type=file]", {"name": "customers.csv", "mimeType": "text/csv", "buffer": sample.encode()}
    )
    page.click("#import-form button#upload")
    expect(page.locator("#valid-rows")).to_be_visible(timeout=60_000)  # the check runs as a job
    shoot(page, out, "customer-import-report")

    page.goto(f"{base}/customers/overview/")
    page.wait_for_selector(".crm-chart canvas", timeout=TIMEOUT)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 1000})  # the first row of charts too
    page.wait_for_timeout(1000)  # let the charts resize and finish their animation
    shoot(page, out, "customer-overview")
    page.set_viewport_size(VIEWPORT)

    # Recycle bin: delete the two customers with the highest codes, picture the bin, restore them.
    deleted = []
    for href in customer_links(page, f"{customers}?sort=-code")[:2]:
        page.goto(f"{base}{href}")
        deleted.append(page.title().split(" · ")[0].strip())
        page.click("#delete-button")
        page.click("#confirm-delete")
        page.wait_for_load_state("networkidle")
    page.goto(f"{customers}recycle-bin/")
    shoot(page, out, "customer-recycle-bin")
    for label in deleted:
        page.locator("tr", has_text=label).first.get_by_role("button").first.click()  # Restore
        expect(page.locator("tr", has_text=label)).to_have_count(0)


def pool_page(page: Page, base: str, out: Path) -> None:
    """The public pool with two rows ticked, so the batch bar (Claim selected, Assign to) is enabled."""
    page.goto(f"{base}/customers/pool/")
    boxes = page.locator("#results tbody input[name=pk]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("#bulk-count")).to_have_text("2")
    expect(page.locator("#claim-selected")).to_be_enabled()
    shoot(page, out, "customer-pool")


def run(base: str, out: Path, language: str, username: str, password: str, groups=GROUPS) -> None:
    out.mkdir(parents=True, exist_ok=True)
    base = base.rstrip("/")
    with sync_playwright() as p:
        # Chromium takes its own UI language (date inputs: 年/月/日) from LANGUAGE, given the Debian
        # package chromium-l10n; without it, dates show as mm/dd/yyyy in both languages.
        ui_env = {**os.environ, "LANGUAGE": "en_US" if language == "en" else "zh_CN"}
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS, env=ui_env)
        context = browser.new_context(
            viewport=VIEWPORT,
            locale="en-US" if language == "en" else "zh-CN",
            timezone_id="Asia/Shanghai",
            device_scale_factor=1,
        )
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()

        # Login page, in the requested language (the switch under the form sets a cookie).
        page.goto(f"{base}/accounts/login/")
        page.click("#login-lang-en" if language == "en" else "#login-lang-zh")
        expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
        if "start" in groups:
            shoot(page, out, "login")

        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("#login-submit")
        expect(page.locator("#open-todos")).to_be_visible()
        original = page.locator("html").get_attribute("lang")
        if original != HTML_LANG[language]:
            set_language(page, language)

        if "start" in groups:
            start_pages(page, out)
        if "admin" in groups:
            admin_pages(page, base, out)
        # Last: it adds a follow-up and deletes/restores customers, which the audit log would show.
        if "customers" in groups:
            customer_pages(page, base, out, language)
        elif "pool" in groups:  # the pool picture alone (part of the customers group)
            pool_page(page, base, out)

        if original != HTML_LANG[language]:  # give the admin their language back
            page.goto(f"{base}/")
            set_language(page, "en" if original == "en" else "zh-hans")
        browser.close()


def start_pages(page: Page, out: Path) -> None:
    """Workbench, notification menu and global search (getting started)."""
    shoot(page, out, "workbench")

    page.click("#bell")
    expect(page.locator("#bell-items .card")).to_be_visible()
    shoot(page, out, "notifications")
    page.keyboard.press("Escape")

    page.keyboard.press("Control+k")
    expect(page.locator("#search-input")).to_be_focused()
    page.fill("#search-input", "ali")
    expect(page.locator("#search-hits a").first).to_be_visible()
    shoot(page, out, "search")
    page.keyboard.press("Escape")


def admin_pages(page: Page, base: str, out: Path) -> None:
    """Users, roles, dictionaries, the generic import, audit log, profile and API docs (getting started)."""
    page.goto(f"{base}/accounts/users/")
    shoot(page, out, "users")

    role = first_object_url(page, f"{base}/accounts/roles/", r"/accounts/roles/\d+/")
    page.goto(f"{base}{role}edit/")
    shoot(page, out, "role-edit")

    page.goto(f"{base}/basedata/dictionary-items/")
    shoot(page, out, "dictionary-items")

    page.goto(f"{base}/basedata/dictionary-items/import/")
    shoot(page, out, "import")
    page.set_input_files(
        "input[type=file]", {"name": "dictionary-items.csv", "mimeType": "text/csv", "buffer": IMPORT_SAMPLE}
    )
    page.click("#import-form button#upload")
    expect(page.locator("#valid-rows")).to_be_visible(timeout=60_000)  # the check runs as a job
    shoot(page, out, "import-report")

    page.goto(f"{base}/accounts/audit-log/")
    shoot(page, out, "audit-log")

    page.goto(f"{base}/accounts/profile/")
    shoot(page, out, "profile-tokens")

    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=TIMEOUT)
    shoot(page, out, "api-docs")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000", help="running server (default %(default)s)")
    parser.add_argument("--out", type=Path, default=HERE / "img", help="folder for the PNGs (default docs/img)")
    parser.add_argument("--lang", choices=sorted(HTML_LANG), default="en", help="UI language (default %(default)s)")
    parser.add_argument(
        "--only",
        choices=[*GROUPS, "pool"],
        action="append",
        help="take only this group of pictures (start, admin: getting started; customers; pool: the public"
        " pool picture alone, no changes to the data); repeatable",
    )
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default=os.environ.get("CRM_DEMO_PASSWORD", "demo-pass-2026"))
    args = parser.parse_args(argv)
    run(args.url, args.out, args.lang, args.user, args.password, args.only or GROUPS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
