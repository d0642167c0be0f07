"""The customers module in a real browser: the main flows of an account manager and a supervisor.

Create with the live duplicate warning, follow-up → to-do, release to the pool and claim, import
with a dry-run report, filtered export, recycle bin, review, and the list's Chinese/pinyin search.
The UI runs in Chinese (the demo personas' language); records are prepared with the services.
Run: .venv/bin/pytest -p no:randomly tests/e2e/test_customers.py
"""

import csv
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.testing.helpers import login
from customers.tests.factories import make_contact, make_customer, xlsx_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # pytest-base-url (pulled in by pytest-playwright) trips a pytest 9 deprecation; not ours.
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

TIMEOUT = 10_000  # ms; generous for a loaded CI machine, never a fixed sleep
LIST = "/customers/customers/"


def sign_in(page, live_server, user, language="zh-hans"):
    """Log `user` in through the real form (after dropping any earlier session), UI in `language`."""
    type(user).objects.filter(pk=user.pk).update(language=language)
    page.context.clear_cookies()
    login(page, live_server, user.username)
    expect(page.locator("#open-todos")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if language == "zh-hans" else "en")


def open_menu(page, href):
    """Follow a left-menu entry, as a user would."""
    page.locator(f'#sidebar-menu a[href="{href}"]').click()
    expect(page).to_have_url(re.compile(re.escape(href)), timeout=TIMEOUT)


def result_rows(page):
    return page.locator("#results tbody tr")


def expect_message(page, text):
    expect(page.locator(".crm-messages")).to_contain_text(text, timeout=TIMEOUT)


def dict_item(type_code, code):
    from basedata.models import DictItem

    return DictItem.objects.get(type__code=type_code, code=code)


# --- 1. create with the live duplicate warning, then a contact ------------------------------------
def test_create_customer_with_contact_and_live_duplicate_warning(
    page, live_server, org, screenshot, assert_clean_console
):
    from customers.models import Contact, Customer

    alice, bob = org["alice"], org["bob"]
    existing = make_customer(bob, name="北京龙虎科技有限公司")  # outside alice's scope
    sign_in(page, live_server, alice)
    open_menu(page, LIST)
    page.click("#add-button")
    expect(page).to_have_url(f"{live_server.url}{LIST}add/", timeout=TIMEOUT)

    # Typing a near-identical name (full-width brackets) brings up the warning by itself.
    warning = page.locator("#duplicate-alert")
    expect(warning).to_have_count(0)
    page.locator("#id_name").press_sequentially("北京龙虎科技（有限公司）")
    expect(warning).to_be_visible(timeout=TIMEOUT)
    expect(warning).to_contain_text("可能重复的客户")
    # Outside her scope: that it exists and whose it is (CUS-15), never its name or code.
    expect(warning).to_contain_text(f"{bob.name}（华东销售部）负责的客户")
    expect(warning).not_to_contain_text("北京龙虎科技有限公司")
    expect(warning).to_contain_text(bob.name)  # who owns it, not a link to a record she may not open
    expect(warning.locator("a")).to_have_count(0)
    screenshot("customer-duplicate-warning-zh")

    # An account manager may not save a duplicate: no override box, and the server refuses it.
    expect(page.locator("#id_confirm_duplicate")).to_have_count(0)
    page.click("#save")
    error = page.locator('[data-field-error="name"]')
    expect(error).to_contain_text("已存在名称、电话或邮箱相同的客户", timeout=TIMEOUT)
    expect(error).not_to_contain_text(existing.code)
    assert Customer.objects.count() == 1

    # Another spelling (ideographic space), then a different company: the warning follows the name.
    page.fill("#id_name", "北京龙虎科技\u3000有限公司")
    expect(warning).to_be_visible(timeout=TIMEOUT)
    page.fill("#id_name", "北京龙虎网络科技有限公司")
    expect(warning).to_have_count(0, timeout=TIMEOUT)
    page.fill("#id_short_name", "龙虎网络")
    page.fill("#id_mobile", "13812345678")
    page.fill("#id_address", "北京市海淀区中关村大街1号")
    page.click("#save")
    expect_message(page, "已保存 北京龙虎网络科技有限公司")
    customer = Customer.objects.get(name="北京龙虎网络科技有限公司")
    expect(page).to_have_url(f"{live_server.url}{LIST}{customer.pk}/", timeout=TIMEOUT)
    assert (customer.owner, customer.department, customer.mobile) == (alice, alice.department, "13812345678")

    # 360° page → Contacts tab → add a contact for this customer.
    page.locator('a[href="#tab-contacts"]').click()
    page.click("#add-contact")
    expect(page.locator("#id_customer")).to_have_value(str(customer.pk), timeout=TIMEOUT)
    page.fill("#id_name", "王华")
    page.fill("#id_position", "采购经理")
    page.fill("#id_department_name", "采购部")
    page.fill("#id_mobile", "13900139000")
    page.click("#save")
    expect_message(page, "已保存 王华")
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.position, contact.mobile, contact.is_primary) == (
        "王华",
        "采购经理",
        "13900139000",
        True,
    )

    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    page.locator('a[href="#tab-contacts"]').click()
    expect(page.locator("#tab-contacts")).to_contain_text("王华", timeout=TIMEOUT)
    assert_clean_console()


# --- 2. follow-up with a next date → to-do ---------------------------------------------------
def test_followup_with_next_date_appears_in_todos(page, live_server, org, screenshot, assert_clean_console):
    from customers.models import FollowUp
    from workspace.models import Todo

    alice = org["alice"]
    customer = make_customer(alice, name="上海华信科技有限公司")
    contact = make_contact(alice, customer, name="华罗庚")
    now = timezone.localtime()
    happened = (now - timedelta(hours=1)).replace(second=0, microsecond=0)
    next_at = (now + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)

    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    page.click("#add-followup")
    expect(page.locator("#id_customer")).to_have_value(str(customer.pk), timeout=TIMEOUT)
    page.select_option("#id_contact", str(contact.pk))
    page.select_option("#id_channel", str(dict_item("followup_channel", "phone").pk))
    page.fill("#id_happened_at", f"{happened:%Y-%m-%dT%H:%M}")
    page.fill("#id_summary", "电话沟通报价方案")
    page.fill("#id_detail", "客户希望下周看演示")
    page.fill("#id_next_followup_at", f"{next_at:%Y-%m-%dT%H:%M}")
    page.click("#save")
    expect_message(page, "已保存 电话沟通报价方案")
    followup = FollowUp.objects.get(customer=customer)
    assert (followup.contact, followup.happened_at, followup.next_followup_at) == (contact, happened, next_at)

    # The 360° page shows it with its next date.
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    page.locator('a[href="#tab-followups"]').click()
    tab = page.locator("#tab-followups")
    expect(tab).to_contain_text("电话沟通报价方案", timeout=TIMEOUT)
    expect(tab).to_contain_text(f"{next_at:%Y-%m-%d %H:%M}")

    # To-dos page: "跟进 <customer>" due at the next follow-up, linking back to the customer.
    open_menu(page, "/workspace/todos/")
    todo = Todo.objects.get(owner=alice, done_at__isnull=True)
    row = page.locator(f"#todo-{todo.pk}")
    expect(row).to_contain_text("跟进 上海华信科技有限公司", timeout=TIMEOUT)
    expect(row).to_contain_text(f"{next_at:%Y-%m-%d %H:%M}")
    expect(row).to_contain_text("电话沟通报价方案")
    assert todo.due_at == next_at
    screenshot("customer-followup-todo-zh")
    row.get_by_role("link", name="跟进 上海华信科技有限公司").click()
    expect(page).to_have_url(f"{live_server.url}{customer.get_absolute_url()}", timeout=TIMEOUT)
    assert_clean_console()


# --- 3. release to the pool, another account manager claims it -------------------------------
def test_release_to_pool_and_claim_by_colleague(page, live_server, org, screenshot, assert_clean_console):
    from customers.models import Customer, OwnerHistory

    alice, bob = org["alice"], org["bob"]
    customer = make_customer(alice, name="广州虎龙贸易有限公司", mobile="13700137000")
    reason = "客户暂无采购计划"

    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    page.click("#release-button")
    page.click("#confirm-action")  # no reason yet: refused
    expect(page.locator('[data-field-error="reason"]')).to_be_visible(timeout=TIMEOUT)
    assert not Customer.objects.get(pk=customer.pk).in_pool
    page.fill("#id_reason", reason)
    page.click("#confirm-action")
    expect_message(page, "广州虎龙贸易有限公司 已退回公海")
    expect(page).to_have_url(f"{live_server.url}{LIST}", timeout=TIMEOUT)
    expect(result_rows(page).filter(has_text="广州虎龙贸易有限公司")).to_have_count(0)
    customer.refresh_from_db()
    assert (customer.in_pool, customer.owner, customer.pool_reason) == (True, None, reason)

    # Bob (same department, English UI here) finds it in the pool, masked, and claims it.
    sign_in(page, live_server, bob, language="en")
    open_menu(page, "/customers/pool/")
    row = result_rows(page).filter(has_text="广州虎龙贸易有限公司")
    expect(row).to_have_count(1, timeout=TIMEOUT)
    expect(row).to_contain_text(reason)
    expect(row).to_contain_text("137****7000")
    expect(row).not_to_contain_text("13700137000")
    screenshot("customer-pool-bob-en")
    row.locator(f'[data-claim="{customer.pk}"]').click()
    expect(page).to_have_url(f"{live_server.url}{customer.get_absolute_url()}", timeout=TIMEOUT)
    expect_message(page, "You now own 广州虎龙贸易有限公司")
    expect(page.locator("#owner-name")).to_have_text(str(bob), timeout=TIMEOUT)
    expect(page.locator("#in-pool")).to_have_count(0)
    customer.refresh_from_db()
    assert (customer.owner, customer.department, customer.in_pool) == (bob, bob.department, False)
    actions = list(customer.owner_history.order_by("created_at", "id").values_list("action", "to_owner"))
    assert actions == [
        (OwnerHistory.Action.CREATE, alice.pk),
        (OwnerHistory.Action.RELEASE, None),
        (OwnerHistory.Action.CLAIM, bob.pk),
    ]
    assert_clean_console(allow=["status of 400"])  # the release form without a reason answers 400


# --- 4. import: template, dry run with a report, confirm -------------------------------------
def test_import_with_dry_run_report(page, live_server, org, screenshot, assert_clean_console):
    from python_calamine import CalamineWorkbook

    from core.models import ImportJob
    from core.registry import get_config
    from customers.models import Customer

    alice = org["alice"]
    sign_in(page, live_server, alice)
    open_menu(page, LIST)
    page.get_by_role("link", name="导入").click()
    expect(page).to_have_url(f"{live_server.url}{LIST}import/", timeout=TIMEOUT)

    # The template from the page: one column per import field, in the user's language.
    with page.expect_download() as info:
        page.click("#download-template")
    template = info.value
    assert template.suggested_filename.startswith("customers-template-")
    header = [str(h) for h in CalamineWorkbook.from_path(template.path()).get_sheet_by_index(0).to_python()[0]]
    fields = get_config(Customer).import_fields
    assert len(header) == len(fields) and header[0] == "客户名称 *"
    vip = dict_item("customer_level", "vip")

    def row(name, **values):
        cells = [""] * len(header)
        cells[0] = name
        for field, value in values.items():
            cells[fields.index(field)] = value
        return cells

    content = xlsx_bytes(
        header,
        [
            row("导入测试甲有限公司", mobile="13812340001", level=vip.label_zh),  # row 2
            row("导入测试乙有限公司", mobile="12345"),  # row 3: not a mobile number
            row("导入测试丙有限公司", short_name="丙公司"),  # row 4
            row("导入测试丁有限公司", level="钻石客户"),  # row 5: no such level
            row("导入测试戊有限公司", address="南京市鼓楼区"),  # row 6
        ],
    )
    page.set_input_files(
        "#id_file",
        files=[{"name": "客户导入.xlsx", "mimeType": "application/octet-stream", "buffer": content}],
    )
    page.click("#upload")

    # Dry run: nothing saved, a report naming the two bad rows and why.
    status = page.locator("#import-status")
    expect(status).to_have_attribute("data-status", "checked", timeout=TIMEOUT)
    expect(page.locator("#valid-rows")).to_have_text("3")
    expect(page.locator("#error-count")).to_have_text("2")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td").nth(0)).to_have_text("3")
    expect(errors.nth(0)).to_contain_text("手机")
    expect(errors.nth(0)).to_contain_text("13812345678")  # the validator's example of a valid number
    expect(errors.nth(1).locator("td").nth(0)).to_have_text("5")
    expect(errors.nth(1)).to_contain_text("无法识别的值“钻石客户”")
    screenshot("customer-import-report-zh")
    assert not Customer.objects.exists()

    page.click("#confirm-import")
    expect(status).to_have_attribute("data-status", "done", timeout=TIMEOUT)
    expect(page.locator("#created-rows")).to_have_text("3")
    job = ImportJob.objects.get()
    assert (job.status, job.created_rows, job.original_name) == ("done", 3, "客户导入.xlsx")
    created = {c.name: c for c in Customer.objects.all()}
    assert set(created) == {"导入测试甲有限公司", "导入测试丙有限公司", "导入测试戊有限公司"}
    assert {c.owner for c in created.values()} == {alice}
    assert created["导入测试甲有限公司"].level == vip and created["导入测试甲有限公司"].mobile == "13812340001"

    page.get_by_role("link", name="返回列表").click()
    expect(result_rows(page).filter(has_text="导入测试")).to_have_count(3, timeout=TIMEOUT)
    assert_clean_console()


# --- 5. export a filtered list ----------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_filtered_list(page, live_server, org, fmt, assert_clean_console):
    alice = org["alice"]
    vip, normal = dict_item("customer_level", "vip"), dict_item("customer_level", "normal")
    make_customer(alice, name="杭州云帆信息技术有限公司", level=vip)
    make_customer(alice, name="南京金桥软件有限公司", level=vip)
    make_customer(alice, name="苏州恒通机械制造有限公司", level=normal)
    make_customer(org["bob"], name="成都博远教育咨询有限公司", level=vip)  # not alice's

    sign_in(page, live_server, alice)
    open_menu(page, LIST)
    expect(result_rows(page)).to_have_count(3, timeout=TIMEOUT)
    page.select_option("#id_level", str(vip.pk))
    expect(result_rows(page)).to_have_count(2, timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(rf"[?&]level={vip.pk}(&|$)"), timeout=TIMEOUT)
    # Straight after the htmx filter, without a reload: the export links follow the filter.
    expect(page.locator("#export-csv")).to_have_attribute("href", re.compile(rf"level={vip.pk}"), timeout=TIMEOUT)

    page.click("#export-menu")
    with page.expect_download() as info:
        page.click(f"#export-{fmt}")
    download = info.value
    assert download.suggested_filename.endswith(f".{fmt}")
    if fmt == "csv":
        with open(download.path(), encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh))
    else:
        from python_calamine import CalamineWorkbook

        table = CalamineWorkbook.from_path(download.path()).get_sheet_by_index(0).to_python()
    header, rows = table[0], [r for r in table[1:] if any(str(c).strip() for c in r)]
    name_col = header.index("客户名称")
    assert sorted(r[name_col] for r in rows) == sorted(["杭州云帆信息技术有限公司", "南京金桥软件有限公司"])
    assert_clean_console()


# --- 6. delete, recycle bin, restore ------------------------------------------------------------
def test_delete_and_restore_from_recycle_bin(page, live_server, org, screenshot, assert_clean_console):
    from customers.models import Contact, Customer

    alice = org["alice"]
    customer = make_customer(alice, name="西安瑞丰物流有限公司")
    make_contact(alice, customer, name="赵强")
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    page.click("#delete-button")
    page.click("#confirm-delete")
    expect_message(page, "已删除 西安瑞丰物流有限公司")
    expect(page).to_have_url(f"{live_server.url}{LIST}", timeout=TIMEOUT)
    expect(result_rows(page).filter(has_text="西安瑞丰物流有限公司")).to_have_count(0)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Contact.objects.filter(customer_id=customer.pk).exists()  # went with it

    page.get_by_role("link", name="回收站").click()
    expect(page).to_have_url(f"{live_server.url}{LIST}recycle-bin/", timeout=TIMEOUT)
    row = page.locator("tbody tr").filter(has_text="西安瑞丰物流有限公司")
    expect(row).to_have_count(1, timeout=TIMEOUT)
    expect(row).to_contain_text(str(alice))  # deleted by
    screenshot("customer-recycle-bin-zh")
    row.get_by_role("button", name="恢复").click()
    expect_message(page, "已恢复 西安瑞丰物流有限公司")
    expect(page.locator("tbody tr").filter(has_text="西安瑞丰物流有限公司")).to_have_count(0)
    restored = Customer.objects.get(pk=customer.pk)
    assert restored.deleted_at is None and restored.owner == alice
    assert list(Contact.objects.filter(customer=restored).values_list("name", flat=True)) == ["赵强"]

    page.goto(f"{live_server.url}{LIST}")
    expect(result_rows(page).filter(has_text="西安瑞丰物流有限公司")).to_have_count(1, timeout=TIMEOUT)
    assert_clean_console()


# --- 7. data review: parameter on, pending customer, supervisor approves ------------------------
def test_supervisor_approves_pending_customer(page, live_server, org, screenshot, assert_clean_console):
    from basedata.models import SystemParameter
    from basedata.parameters import get_parameter
    from customers.models import Customer

    alice, manager = org["alice"], org["manager"]

    # The administrator switches data review on in the system parameters.
    sign_in(page, live_server, org["admin"])
    parameter = SystemParameter.objects.get(key="data_review_enabled")
    page.goto(f"{live_server.url}{parameter.get_absolute_url()}")
    page.click("#edit-button")
    page.check('input[name="value"][value="1"]')  # a yes/no parameter is a pair of radios
    page.click("#save")
    expect(page.locator(".crm-messages .alert-success")).to_be_visible(timeout=TIMEOUT)
    assert get_parameter("data_review_enabled") is True

    # An account manager's new customer now waits for review.
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}{LIST}add/")
    page.fill("#id_name", "郑州启明科技有限公司")
    page.click("#save")
    expect_message(page, "已保存 郑州启明科技有限公司")
    expect(page.locator("#review-status")).to_have_text("待初审", timeout=TIMEOUT)
    expect(page.locator("#review-button")).to_have_count(0)  # not hers to approve
    customer = Customer.objects.get(name="郑州启明科技有限公司")
    assert customer.review_status == Customer.Review.PENDING

    # The sales manager finds it under "pending review" and approves it.
    sign_in(page, live_server, manager)
    open_menu(page, LIST)
    page.locator('a[href="?view=pending"]').click()
    row = result_rows(page).filter(has_text="郑州启明科技有限公司")
    expect(row).to_have_count(1, timeout=TIMEOUT)
    row.get_by_role("link", name="郑州启明科技有限公司").click()
    expect(page.locator("#review-status")).to_have_text("待初审", timeout=TIMEOUT)
    page.click("#review-button")
    page.locator('input[name="decision"][value="approve"]').check()
    page.fill("#id_comment", "资料齐全")
    screenshot("customer-review-manager-zh")
    page.click("#confirm-action")
    expect_message(page, "审核结果已保存")
    expect(page).to_have_url(f"{live_server.url}{customer.get_absolute_url()}", timeout=TIMEOUT)
    expect(page.locator("#review-status")).to_have_count(0)
    expect(page.locator("#review-button")).to_have_count(0)
    customer.refresh_from_db()
    assert (customer.review_status, customer.reviewed_by, customer.review_comment) == (
        Customer.Review.APPROVED,
        manager,
        "资料齐全",
    )
    assert_clean_console()


# --- 8. list search: Chinese substring and pinyin initials --------------------------------------
def test_list_search_chinese_substring_and_pinyin_initials(page, live_server, org, assert_clean_console):
    alice = org["alice"]
    names = ["北京龙虎科技有限公司", "龙虎山旅游开发有限公司", "广州虎龙贸易有限公司", "上海华信科技有限公司"]
    for name in names:
        make_customer(alice, name=name)
    newest_first = names[::-1]  # the list's default order
    sign_in(page, live_server, alice)
    open_menu(page, LIST)
    rows = result_rows(page)
    expect(rows.locator("td a")).to_have_text(newest_first, timeout=TIMEOUT)

    def search(query, expected):
        page.fill("#id_q", query)
        expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(quote(query))}(&|$)"), timeout=TIMEOUT)
        expect(rows.locator("td a")).to_have_text([n for n in newest_first if n in expected], timeout=TIMEOUT)

    search("龙虎", ["北京龙虎科技有限公司", "龙虎山旅游开发有限公司"])  # a 2-character substring, not 虎龙
    search("科技", ["北京龙虎科技有限公司", "上海华信科技有限公司"])
    search("lhkj", ["北京龙虎科技有限公司"])  # 龙虎科技 by its pinyin initials
    search("LHS", ["龙虎山旅游开发有限公司"])  # 龙虎山, upper case
    search("huxin", [])  # pinyin of no name here (华信 is huaxin)
    search("huaxin", ["上海华信科技有限公司"])  # full pinyin
    page.fill("#id_q", "")
    expect(rows.locator("td a")).to_have_text(newest_first, timeout=TIMEOUT)
    assert_clean_console()
