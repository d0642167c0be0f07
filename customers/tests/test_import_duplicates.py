"""Fast customer import: duplicates inside the file and against existing customers (name,
phone/mobile, e-mail), duplicate strategies, the form's rules per cell, audit and progress,
and the memoised helpers that must equal the services' own (name keys, search tokens)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEntry
from core.models import ImportJob
from core.search_tokens import make_tokens
from customers.importing import SearchTokens, name_key, run_customer_import
from customers.models import Customer, OwnerHistory
from customers.services import customer_service, normalise_name

from .factories import make_customer, reload, xlsx_bytes

HEADER = ["客户名称", "手机", "电话", "电子邮箱", "地址"]


def _job(user, rows, header=HEADER, **options):
    return ImportJob.objects.create(
        model_label="customers.customer",
        file=SimpleUploadedFile("c.xlsx", xlsx_bytes(header, rows)),
        original_name="c.xlsx",
        options={"duplicate_strategy": "skip", "target": "me", **options},
        created_by=user,
    )


def check(user, rows, header=HEADER, **options):
    job = _job(user, rows, header, **options)
    run_customer_import(job, user=user, commit=False)
    return job


def commit(user, job):
    run_customer_import(job, user=user, commit=True)
    job.refresh_from_db()
    return job


def by_row(job):
    report = {}
    for e in job.errors:
        report.setdefault(e["row"], []).append(e)
    return report


# --- inside the file ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "first, second, column",
    [
        (["甲公司", "13812345671", "", "", ""], ["乙公司", "13812345671", "", "", ""], "mobile"),
        (["甲公司", "", "", "a@x.cn", ""], ["乙公司", "", "", "A@X.CN", ""], "email"),
        (["甲科技有限公司", "", "", "", ""], ["（甲科技） 有限公司", "", "", "", ""], "customer name"),
        # A phone in one row and the same number as mobile in another: one company.
        (["甲公司", "13812345671", "", "", ""], ["乙公司", "", "13812345671", "", ""], "phone"),
    ],
)
def test_a_later_row_repeating_an_earlier_one_is_reported_and_skipped(alice, first, second, column):
    job = check(alice, [first, ["丙公司", "", "", "", ""], second])
    assert job.status == "checked"
    assert job.valid_rows == 2 and job.skipped_rows == 1
    [entry] = by_row(job)[4]
    assert "row 2" in entry["message"] and entry["column"].lower() == column
    assert set(by_row(job)) == {4}
    job = commit(alice, job)
    assert job.status == "done" and job.created_rows == 2
    assert Customer.objects.count() == 2
    assert set(Customer.objects.values_list("name", flat=True)) == {first[0], "丙公司"}


def test_a_chain_of_duplicates_points_at_the_first_row(alice):
    rows = [
        ["甲公司", "13812345671", "", "", ""],
        ["乙公司", "13812345671", "", "b@x.cn", ""],  # same mobile as row 2
        ["丙公司", "", "", "b@x.cn", ""],  # same e-mail as row 3, so the same customer as row 2
    ]
    job = check(alice, rows)
    report = by_row(job)
    assert "row 2" in report[3][0]["message"] and "row 2" in report[4][0]["message"]
    assert job.valid_rows == 1 and job.skipped_rows == 2


def test_update_strategy_merges_a_repeated_row_into_the_customer_of_the_first(manager):
    rows = [["甲公司", "13812345671", "", "", "旧地址"], ["甲公司", "", "", "a@x.cn", "新地址"]]
    job = check(manager, rows, duplicate_strategy="update")
    assert job.valid_rows == 2 and job.skipped_rows == 0
    assert "row 2" in by_row(job)[3][0]["message"]
    job = commit(manager, job)
    assert job.created_rows == 1 and job.updated_rows == 1
    customer = Customer.objects.get()
    # The later row updates the earlier one, as an update of a stored customer would.
    assert (customer.address, customer.email, customer.mobile) == ("新地址", "a@x.cn", "")
    assert customer.name_key == normalise_name("甲公司")
    assert AuditEntry.objects.filter(action="create", object_id=str(customer.pk)).count() == 1


def test_create_strategy_imports_repeated_rows_but_still_reports_them(manager):
    rows = [["甲公司", "13812345671", "", "", ""], ["乙公司", "13812345671", "", "", ""]]
    job = check(manager, rows, duplicate_strategy="create")
    assert job.valid_rows == 2
    assert "row 2" in by_row(job)[3][0]["message"]
    job = commit(manager, job)
    assert job.created_rows == 2 and Customer.objects.count() == 2


def test_invalid_rows_are_not_duplicate_sources(alice):
    rows = [["甲公司", "12345", "", "", ""], ["甲公司", "", "", "", ""]]
    job = check(alice, rows)
    assert set(by_row(job)) == {2} and job.valid_rows == 1


# --- against existing customers -------------------------------------------------------------------
def test_existing_customers_are_found_by_name_mobile_phone_and_email(alice, bob):
    make_customer(bob, name="老客户甲有限公司")
    make_customer(bob, name="老客户乙", mobile="13812345672")
    make_customer(bob, name="老客户丙", phone="010-12345678")
    make_customer(bob, name="老客户丁", email="Ding@X.cn")
    make_customer(bob, name="老客户戊", mobile="13812345675")
    rows = [
        ["老客户甲", "", "", "", ""],  # same name key
        ["新客户乙", "13812345672", "", "", ""],  # same mobile
        ["新客户丙", "", "010-12345678", "", ""],  # same phone
        ["新客户丁", "", "", "dING@x.CN", ""],  # same e-mail, neither as written nor lower case
        ["新客户戊", "", "13812345675", "", ""],  # a phone equal to a stored mobile
        ["新客户己", "13812345679", "", "ji@x.cn", ""],
    ]
    job = check(alice, rows)
    report = by_row(job)
    assert set(report) == {2, 3, 4, 5, 6}
    assert all("Duplicate found" in r[0]["message"] for r in report.values())
    # bob's customers are outside alice's scope: whose they are, not their names (CUS-15).
    assert report[3][0]["message"] == "Duplicate found: a customer owned by 张伯文 (华东销售部) — skipped."
    assert not any("老客户" in r[0]["message"] for r in report.values())
    assert job.valid_rows == 1 and job.skipped_rows == 5
    job = commit(alice, job)
    assert job.created_rows == 1
    assert Customer.objects.filter(owner=alice).get().name == "新客户己"


def test_deleted_customers_are_no_duplicates(alice):
    old = make_customer(alice, name="已删除客户", mobile="13812345671")
    customer_service.delete(actor=alice, instance=old)
    job = check(alice, [["已删除客户", "13812345671", "", "", ""]])
    assert job.valid_rows == 1 and not job.errors


def test_update_strategy_updates_the_existing_customer(manager, alice):
    old = make_customer(alice, name="老客户", email="old@x.cn", address="旧地址")
    job = check(manager, [["老客户新名", "", "", "OLD@x.cn", "新地址"]], duplicate_strategy="update")
    assert job.valid_rows == 1 and not job.errors
    job = commit(manager, job)
    assert job.updated_rows == 1 and job.created_rows == 0
    old = reload(old)
    assert (old.name, old.address, old.email) == ("老客户新名", "新地址", "OLD@x.cn")
    assert AuditEntry.objects.filter(action="update", object_id=str(old.pk)).exists()


def test_update_strategy_reports_customers_the_user_may_not_change(alice, bob):
    make_customer(bob, name="伯文的客户")
    job = check(alice, [["伯文的客户", "", "", "", ""]], duplicate_strategy="update")
    [entry] = job.errors
    assert entry["row"] == 2 and "may not change" in entry["message"]
    assert job.valid_rows == 0


def test_lookups_find_live_customers_and_leave_the_planner_settings_alone(alice):
    from django.db import connection

    from customers.importing.duplicates import _lookup

    live = make_customer(alice, name="甲", mobile="13812345671")
    gone = make_customer(alice, name="乙", mobile="13812345672")
    customer_service.delete(actor=alice, instance=gone)
    found = _lookup("mobile", {"13812345671", "13812345672", "13812345673", "odd\nvalue"})
    assert found == [("13812345671", live.pk, live.code, "甲")]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            assert cursor.fetchone()[0] == "on"


# --- the form's rules, audit, pool, progress --------------------------------------------------------
def test_every_cell_is_checked_with_the_form_rules(alice, dicts):
    header = ["customer name", "mobile", "postal code", "QQ", "email", "level", "website", "remark"]
    rows = [
        ["好客户", "13812345671", "100000", "12345", "a@x.cn", "重要客户", "longhu.cn", "x"],
        ["名" * 51, "12345", "1234", "0123", "not-mail", "没有这个级别", "http://", "x" * 501],
        ["", "13812345673", "", "", "", "", "", ""],
    ]
    job = check(alice, rows, header=header)
    report = by_row(job)
    assert set(report) == {3, 4}
    columns = {e["column"].lower(): e["message"] for e in report[3]}
    assert set(columns) == {"customer name", "mobile", "postal code", "qq", "email", "level", "website", "remark"}
    assert "50" in columns["customer name"]
    assert "6 digits" in columns["postal code"]
    assert "没有这个级别" in columns["level"]
    assert [e["column"].lower() for e in report[4]] == ["customer name"]
    assert report[4][0]["message"] == "Enter the customer name."
    job = commit(alice, job)
    customer = Customer.objects.get()
    assert customer.website == "https://longhu.cn"  # the form adds the scheme
    assert customer.level == dicts["customer_level", "vip"]


def test_created_customers_are_audited_searchable_and_have_history(alice):
    job = commit(alice, check(alice, [["导入甲", "13812345671", "", "", ""], ["导入乙", "", "", "", ""]]))
    customers = {c.name: c for c in Customer.objects.all()}
    assert set(customers) == {"导入甲", "导入乙"}
    for customer in customers.values():
        entry = AuditEntry.objects.get(action="create", object_id=str(customer.pk))
        assert entry.actor == alice and entry.actor_repr == str(alice)
        assert entry.content_type.model == "customer" and entry.object_repr == customer.name
        assert entry.changes == {"import": [None, "c.xlsx"]} and entry.message == f"import #{job.pk}"
        assert OwnerHistory.objects.filter(customer=customer, action="create", to_owner=alice, actor=alice).exists()
        assert customer.owner == alice and customer.department_id == alice.department_id
        assert customer.search_text == make_tokens(
            customer.code, customer.phone, customer.mobile, customer.email, names=[customer.name, customer.short_name]
        )
        assert customer.version == 1 and customer.created_by == alice
    assert AuditEntry.objects.filter(action="import").count() == 1
    assert job.processed_rows == job.total_rows == 2


def test_import_into_the_pool(manager):
    commit(manager, check(manager, [["公海客户", "", "", "", ""]], target="pool"))
    customer = Customer.objects.get()
    assert customer.in_pool and customer.owner is None and customer.pool_entered_at is not None


def test_progress_is_written_while_checking(alice, monkeypatch):
    from customers.importing import runner, writing

    # The constants are read where they are defined (runner's progress, writing's batches).
    monkeypatch.setattr(runner, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(writing, "BATCH", 1)
    seen = []
    original = runner._Progress.set

    def spy(self, processed, **counts):
        original(self, processed, **counts)
        seen.append(ImportJob.objects.get(pk=self.job.pk).processed_rows)

    monkeypatch.setattr(runner._Progress, "set", spy)
    job = check(alice, [[f"客户{i}", "", "", "", ""] for i in range(3)])
    assert seen == [1, 2, 3] and job.processed_rows == 3
    seen.clear()
    commit(alice, job)
    assert seen and seen[-1] == 3 and seen == sorted(seen)


# --- the memoised helpers equal the originals --------------------------------------------------------
NAMES = [
    "北京龙虎科技有限公司",
    "北京龙虎科技股份有限公司（集团公司）",
    "  Acme Co., Ltd. ",
    "ACME co.,ltd",
    "acme company limited",
    "Ｆｕｌｌ－ｗｉｄｔｈ　有限公司",
    "有限公司",
    "公司",
    "单田芳",
    "曾国藩商贸",
    "[上海]·华为 (中国) 有限责任公司",
    "foo inc corp llc gmbh",
    "",
    "重庆银行 ltd",
    "x" * 200,
    "㐀㐁 test",
]


@pytest.mark.parametrize("name", NAMES)
def test_name_key_equals_normalise_name(name):
    assert name_key(name) == normalise_name(name)


def test_search_tokens_equal_make_tokens():
    tokens = SearchTokens()
    for i, name in enumerate(NAMES * 2):  # the second round comes from the caches
        short = NAMES[(i + 3) % len(NAMES)][:30]
        texts = (f"KH2026-{i:06d}", "010-12345678" if i % 2 else "", "13812345678", f"Mail{i}@X.cn")
        assert tokens.make(*texts, names=[name, short]) == make_tokens(*texts, names=[name, short])


@pytest.mark.django_db(transaction=True)
def test_batches_are_written_by_several_connections(alice, monkeypatch):
    """On PostgreSQL, outside a transaction, the batches go to WRITERS connections side by side;
    on SQLite they are written by the job's own thread. Either way all or nothing is written."""
    from django.db import connection

    from customers.importing import writing

    parallel = connection.vendor == "postgresql"  # SQLite has one writer: batches stay in the job's thread
    monkeypatch.setattr(writing, "BATCH", 2)
    threads = set()
    original = writing._CreateWriter._write

    def spy(self, batch, codes):
        assert self.parallel is parallel
        threads.add(threading.get_ident())
        return original(self, batch, codes)

    monkeypatch.setattr(writing._CreateWriter, "_write", spy)
    rows = [[f"并行客户{i}", f"1381234{i:04d}", "", "", ""] for i in range(7)] + [["并行客户0", "", "", "", ""]]
    job = commit(alice, check(alice, rows))
    assert job.status == "done" and job.created_rows == 7 and job.skipped_rows == 1
    customers = Customer.objects.filter(name__startswith="并行客户")
    assert customers.count() == 7 and len({c.code for c in customers}) == 7
    assert AuditEntry.objects.filter(action="create", object_id__in=[str(c.pk) for c in customers]).count() == 7
    assert OwnerHistory.objects.filter(customer__in=customers).count() == 7

    if parallel:
        assert threads and threading.get_ident() not in threads
    else:
        assert threads == {threading.get_ident()}

    def failing(self, batch, codes):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writing._CreateWriter, "_write", failing)
    job = check(alice, [[f"失败客户{i}", "", "", "", ""] for i in range(5)])
    with pytest.raises(RuntimeError, match="disk full"):
        run_customer_import(job, user=alice, commit=True)
    job.refresh_from_db()
    assert job.status == "failed" and not Customer.objects.filter(name__startswith="失败客户").exists()
