"""The customer list's filter bar: region selects that follow each other, readable labels."""

import re

import pytest

from .factories import make_customer

pytestmark = pytest.mark.django_db

LIST = "/customers/customers/"


def speak(user, language):
    user.language = language
    user.save(update_fields=["language"])


def select(page, name):
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert match, f"no <select name={name}>"
    return match.group(0)


def options(html):
    return re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', html)


def test_city_and_district_are_selects_driven_by_the_parent(alice, web, regions):
    client = web("alice")
    page = client.get(LIST).content.decode()
    assert 'name="city" type="number"' not in page and 'name="district" type="number"' not in page
    assert options(select(page, "city")) == [("", "— 请选择 —")]  # nothing to offer before a province
    province = select(page, "province")
    # The same endpoint as the customer form's cascade, without inheriting the filter form's htmx.
    for attr in ('hx-get="/basedata/regions/options/"', 'hx-target="#id_city"', 'hx-swap="innerHTML"',
                 'hx-push-url="false"', 'hx-sync="this:replace"'):  # fmt: skip
        assert attr in province, attr
    assert 'hx-target="#id_district"' in select(page, "city")

    page = client.get(LIST, {"province": regions["bj"].pk}).content.decode()
    assert [label for _pk, label in options(select(page, "city"))] == ["— 请选择 —", "北京市"]
    page = client.get(LIST, {"province": regions["bj"].pk, "city": regions["bjc"].pk}).content.decode()
    city = select(page, "city")
    assert f'<option value="{regions["bjc"].pk}" selected>北京市</option>' in city
    assert {label for _pk, label in options(select(page, "district"))} == {"— 请选择 —", "朝阳区", "海淀区"}


def test_city_and_district_filter_by_id_on_the_web_and_the_api(alice, web, api, regions):
    a = make_customer(alice, name="朝阳客户", province=regions["bj"], city=regions["bjc"], district=regions["cy"])
    make_customer(alice, name="海淀客户", province=regions["bj"], city=regions["bjc"], district=regions["hd"])
    make_customer(alice, name="广州客户", province=regions["gd"], city=regions["gz"])

    def names(response):
        return {r.record.name for r in response.context["table"].page.object_list}

    client = web("alice")
    beijing = {"province": regions["bj"].pk, "city": regions["bjc"].pk}
    assert names(client.get(LIST, beijing)) == {"朝阳客户", "海淀客户"}
    assert names(client.get(LIST, {"city": regions["bjc"].pk, "district": regions["cy"].pk})) == {a.name}
    # An old link with a city but no province still filters and still shows the chosen city.
    response = client.get(LIST, {"city": regions["gz"].pk})
    assert names(response) == {"广州客户"}
    assert f'<option value="{regions["gz"].pk}" selected>' in select(response.content.decode(), "city")
    # The API keeps its numeric parameters.
    data = api("alice").get("/api/v1/customers/", {"city": regions["bjc"].pk, "district": regions["hd"].pk}).json()
    assert [r["name"] for r in data["results"]] == ["海淀客户"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_filter_labels_are_capitalised(alice, web, language):
    speak(alice, language)
    page = web("alice").get(LIST).content.decode()
    labels = re.findall(r'<label class="form-label small mb-0" for="id_\w+">([^<]*)</label>', page)
    if language == "en":
        assert {"Customer type", "Level", "City", "District", "Province"} <= set(labels)
    else:
        assert {"客户类型", "级别", "城市", "区县", "省份"} <= set(labels)
    assert all(label[:1] == label[:1].upper() for label in labels), labels
    assert "(id)" not in page and "（ID）" not in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_filter_selects_offer_the_placeholder_not_dashes(alice, web, language):
    speak(alice, language)
    page = web("alice").get(LIST).content.decode()
    placeholder = "— choose —" if language == "en" else "— 请选择 —"
    assert "---------" not in page
    for name in ("customer_type", "level", "status", "source", "industry", "province", "owner", "department"):
        assert options(select(page, name))[0] == ("", placeholder), name
    assert f'<option value="" selected>{placeholder}</option>' in select(page, "review_status")


def test_the_contact_gender_filter_offers_the_placeholder_and_filters(alice, web):
    from .factories import make_contact

    customer = make_customer(alice)
    make_contact(alice, customer, name="王女士", gender="f")
    make_contact(alice, customer, name="李先生", gender="m")
    client = web("alice")
    page = client.get("/customers/contacts/").content.decode()
    assert "---------" not in select(page, "gender")
    assert re.findall(r'<option value="(\w*)"', select(page, "gender")) == ["", "m", "f"]
    women = client.get("/customers/contacts/?gender=f").content.decode()
    assert "王女士" in women and "李先生" not in women
