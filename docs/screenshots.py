#!/usr/bin/env python3
"""Take the user-guide screenshots from a running Guanxi CRM server.

    .venv/bin/python docs/screenshots.py                         # http://127.0.0.1:8000, English
    .venv/bin/python docs/screenshots.py http://127.0.0.1:8765 --lang zh-hans --out docs/img/zh

Needs a server with the demo data (`manage.py seed_demo`), background jobs running (`make run`,
or HUEY_IMMEDIATE=1 for a bare runserver) and Debian's chromium at
/usr/bin/chromium (override with CRM_CHROMIUM); no browser is downloaded. Logs in as the demo
admin, visits each page and writes one PNG per page to --out (default docs/img/). Pages are
captured at 1280x800, so each file stays well under 300 KB. The admin's language is restored
at the end. The only other trace it leaves is one checked-but-not-imported import job.
"""

import argparse
import os
import re
import sys
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
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


def customer_pages(page: Page, base: str, out: Path) -> None:
    """Customers list, 360° page, duplicate warning, public pool and overview charts."""
    page.goto(f"{base}/customers/customers/")
    shoot(page, out, "customers")
    page.goto(f"{base}/customers/customers/?q=%E7%A7%91%E6%8A%80")  # 科技
    shoot(page, out, "customers-search")
    customer = first_object_url(page, f"{base}/customers/customers/?view=mine", r"/customers/customers/\d+/")
    page.goto(f"{base}{customer}")
    shoot(page, out, "customer-360")
    name = page.locator("h2.page-title").inner_text().split("\n")[0].split("  ")[0].strip()
    page.goto(f"{base}/customers/customers/add/")
    page.fill("#id_name", name.split(" ")[0])
    expect(page.locator("#duplicate-alert")).to_be_visible()
    shoot(page, out, "customer-duplicate")
    page.goto(f"{base}/customers/pool/")
    shoot(page, out, "customer-pool")
    page.goto(f"{base}/customers/overview/")
    page.wait_for_selector(".crm-chart canvas", timeout=TIMEOUT)
    shoot(page, out, "customer-overview")


def run(base: str, out: Path, language: str, username: str, password: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    base = base.rstrip("/")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
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
        shoot(page, out, "login")

        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("#login-submit")
        expect(page.locator("#open-todos")).to_be_visible()
        original = page.locator("html").get_attribute("lang")
        if original != HTML_LANG[language]:
            set_language(page, language)

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

        customer_pages(page, base, out)

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

        if original != HTML_LANG[language]:  # give the admin their language back
            page.goto(f"{base}/")
            set_language(page, "en" if original == "en" else "zh-hans")
        browser.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000", help="running server (default %(default)s)")
    parser.add_argument("--out", type=Path, default=HERE / "img", help="folder for the PNGs (default docs/img)")
    parser.add_argument("--lang", choices=sorted(HTML_LANG), default="en", help="UI language (default %(default)s)")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default=os.environ.get("CRM_DEMO_PASSWORD", "demo-pass-2026"))
    args = parser.parse_args(argv)
    run(args.url, args.out, args.lang, args.user, args.password)
    return 0


if __name__ == "__main__":
    sys.exit(main())
