"""The 360° timeline reads like a history, not like raw audit rows (both languages)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.services import customer_claim, customer_release

from .factories import make_contact, make_customer, make_followup, reload

pytestmark = pytest.mark.django_db

HAPPENED = datetime(2026, 3, 5, 2, 5, 38, 50314, tzinfo=ZoneInfo("UTC"))  # 10:05 in Shanghai


def speak(user, language):
    user.language = language
    user.save(update_fields=["language"])


def timeline_html(page):
    # The activity card comes after the tabs (the follow-ups tab is a list of the same style).
    return page.rsplit('<ul class="crm-timeline">', 1)[1].split("</ul>", 1)[0]


def _channel(dicts):
    return next(item for (t, _code), item in dicts.items() if t == "followup_channel")


def _history(alice, dicts, regions):
    customer = make_customer(
        alice, name="北京龙虎科技有限公司", level=dicts["customer_level", "vip"], province=regions["bj"]
    )
    contact = make_contact(alice, customer, name="王华")
    make_followup(
        alice,
        customer,
        summary="上门拜访介绍方案",
        contact=contact,
        channel=_channel(dicts),
        happened_at=HAPPENED,
    )
    customer_release(actor=alice, customer=reload(customer), reason="暂不跟进")
    customer_claim(actor=alice, customer=reload(customer))
    return customer


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_timeline_is_human_readable(alice, web, dicts, regions, language):
    speak(alice, language)
    customer = _history(alice, dicts, regions)
    page = web("alice").get(customer.get_absolute_url()).content.decode()
    html = timeline_html(page)
    en = language == "en"
    # What was created, by its model name and its own name.
    assert ("Follow-up created" if en else "新建跟进记录") in html and "上门拜访介绍方案" in html
    assert ("Contact created" if en else "新建联系人") in html and "王华" in html
    assert ("Customer created" if en else "新建客户") in html
    assert ("Claimed from the public pool" if en else "从公海领取") in html
    assert ("Released to the public pool" if en else "退回公海") in html and "暂不跟进" in html
    # Field labels are the fields' verbose names; bookkeeping fields are left out.
    labels = set(re.findall(r'class="crm-change-label">([^<]*)<', html))
    assert labels, html
    for raw in ("id", "created_at", "customer", "channel", "happened_at", "next_followup_at", "name_key", "version"):
        assert raw not in labels, raw
    assert ("Time" if en else "时间") in labels and ("Level" if en else "级别") in labels
    # Related records by name (the channel, the contact, the level, the province), not by id.
    channel = _channel(dicts)
    assert (channel.label_en if en else channel.label_zh) in html
    assert ("Beijing" if en else "北京") in html
    assert not re.search(r": (—|∅) → \d+<", html) and "∅" not in html
    # Local time, formatted like the rest of the page; no raw ISO strings.
    assert "2026-03-05 10:05" in html
    assert "T02:05:38" not in html and "+00:00" not in html
    # The follow-up's "customer" would only repeat the page's own customer.
    assert f"→ {customer.pk}<" not in html and "claim" not in re.sub(r"crm-timeline-\w+", "", html)


def test_timeline_queries_do_not_grow_with_entries(alice, web, dicts, regions):
    customer = _history(alice, dicts, regions)
    client = web("alice")
    client.get(customer.get_absolute_url())

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(customer.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(6):
        make_followup(alice, customer, summary=f"第{i}次跟进", contact=customer.contacts.first())
        make_contact(alice, customer, name=f"联系人{i}")
    assert count() == few


def test_timeline_of_a_followup_detail_page(alice, web, dicts):
    speak(alice, "en")
    customer = make_customer(alice, name="龙虎科技")
    followup = make_followup(alice, customer, summary="电话沟通", happened_at=HAPPENED)
    html = timeline_html(web("alice").get(followup.get_absolute_url()).content.decode())
    assert "Follow-up created" in html
    assert "Customer" in html and "龙虎科技" in html  # on another page the customer is worth naming
    assert "2026-03-05 10:05" in html
