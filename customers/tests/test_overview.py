"""Customer overview charts: readable labels in both languages, twelve months of new customers."""

from datetime import datetime, time

import pytest
from django.utils import timezone

from basedata.models import Region
from customers.models import Customer
from customers.selectors import last_months

from .factories import make_customer

pytestmark = pytest.mark.django_db


def speak(user, language):
    user.language = language
    user.save(update_fields=["language"])


def chart(client, dimension):
    data = client.get(f"/customers/overview/{dimension}.json").json()
    if data["series"][0]["type"] == "pie":
        return {d["name"]: d["value"] for d in data["series"][0]["data"]}, data
    axis = data["yAxis"] if data["yAxis"]["type"] == "category" else data["xAxis"]
    return dict(zip(axis["data"], data["series"][0]["data"], strict=True)), data


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_province_without_english_name_shows_the_chinese_one(alice, web, regions, language):
    speak(alice, language)
    guangxi = Region.objects.create(code="450000", name="广西壮族自治区", name_en="", level=1, parent=regions["cn"])
    make_customer(alice, province=guangxi)
    make_customer(alice, province=guangxi)
    make_customer(alice, province=regions["bj"])
    make_customer(alice)
    counts, _ = chart(web("alice"), "province")
    beijing = "Beijing" if language == "en" else "北京"
    assert counts == {"广西壮族自治区": 2, beijing: 1, "—": 1}
    page = web("alice").get("/customers/overview/").content.decode()
    assert "广西壮族自治区" in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_owner_chart_uses_display_names(alice, bob, web, manager, language):
    speak(manager, language)
    make_customer(alice)
    make_customer(alice)
    make_customer(bob)
    counts, _ = chart(web("manager"), "owner")
    assert counts == {str(alice): 2, str(bob): 1}
    assert "alice" not in counts and str(alice) != "alice"


def test_bar_chart_labels_are_all_shown_and_fit(alice, web, dicts):
    speak(alice, "en")
    industries = [item for (t, _code), item in dicts.items() if t == "industry"][:8]
    for item in industries:
        make_customer(alice, industry=item)
    counts, option = chart(web("alice"), "industry")
    assert set(counts) == {i.label_en for i in industries}  # full names, nothing clipped server-side
    label = option["yAxis"]["axisLabel"]
    assert label["interval"] == 0  # no label skipped
    assert option["grid"]["containLabel"] is True  # the grid makes room for the labels
    assert option["crmHeight"] >= 22 * len(industries)


def test_new_customers_per_month_is_the_last_twelve_months(alice, web):
    months = last_months(12)
    assert len(months) == 12 and len(set(months)) == 12
    today = timezone.localdate()
    assert (months[-1].year, months[-1].month) == (today.year, today.month)
    tz = timezone.get_current_timezone()

    def created(customer, day):
        moment = datetime.combine(day, time(12), tzinfo=tz)
        Customer.objects.filter(pk=customer.pk).update(created_at=moment)

    thirteen_back = last_months(13)[0]
    created(make_customer(alice), thirteen_back)  # the 13th month back: not shown
    created(make_customer(alice), months[0])  # the oldest month shown
    make_customer(alice)  # now
    data = web("alice").get("/customers/overview/monthly.json").json()
    labels, values = data["xAxis"]["data"], data["series"][0]["data"]
    assert labels == [f"{m:%Y-%m}" for m in months]
    assert values[0] == 1 and values[-1] == 1 and sum(values) == 2
    assert data["xAxis"]["axisLabel"]["interval"] == 0


def test_last_months_across_the_new_year():
    from datetime import date

    months = last_months(12, today=date(2026, 2, 15))
    assert [f"{m:%Y-%m}" for m in months][:3] == ["2025-03", "2025-04", "2025-05"]
    assert f"{months[-1]:%Y-%m}" == "2026-02"
    assert len(last_months(12, today=date(2026, 11, 23))) == 12
    assert f"{last_months(12, today=date(2026, 11, 23))[0]:%Y-%m}" == "2025-12"
