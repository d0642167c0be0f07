"""Customer search (CUS-7): Chinese substrings equal a plain LIKE; pinyin, initials, phone, code."""

import pytest
from django.db.models import Exists, OuterRef, Q

from core.search_tokens import make_tokens, pinyin_of, query_terms
from customers.models import Contact, Customer
from customers.search import search_customers
from customers.services import contact_service

from .factories import make_contact, make_customer, reload

pytestmark = pytest.mark.django_db

# (customer name, short name, [(contact name, mobile)], mobile)
DATA = [
    ("北京龙虎科技有限公司", "龙虎科技", [("王华", "13800100001")], "13800138000"),
    ("龙虎科技有限公司", "", [("单田芳", "")], ""),
    ("龙虎山旅游开发有限公司", "龙虎山", [("曾国藩", "")], ""),
    ("广州虎龙贸易有限公司", "虎龙", [("区志强", "")], ""),
    ("上海华信科技有限公司", "华信", [("华罗庚", "")], "13900139000"),
    ("深圳科技园发展有限公司", "", [("王慧", "")], ""),
    ("技园科技有限公司", "", [("吴昊", "")], ""),  # has 科技 and 技园 but not 科技园
    ("杭州云帆信息技术有限公司", "云帆", [("解晓东", "")], ""),
    ("南京金桥软件有限公司", "金桥", [("李明", "")], ""),
    ("苏州恒通机械制造有限公司", "", [("张伟", "")], ""),
    ("成都博远教育咨询有限公司", "博远", [], ""),
    ("西安瑞丰物流有限公司", "", [("赵强", "")], ""),
    ("天津中科能源有限公司", "中科", [], ""),
    ("重庆天成置业有限公司", "", [("刘洋", "")], ""),
    ("青岛鼎盛投资有限公司", "鼎盛", [], ""),
    ("厦门汇丰商贸有限公司", "", [("陈静", "")], ""),
    ("宁波星辰文化传媒有限公司", "星辰", [], ""),
    ("长沙海纳医疗器械有限公司", "", [("杨丽", "")], ""),
    ("郑州启明科技有限公司", "启明", [("黄磊", "")], ""),
    ("合肥卓越科技发展有限公司", "", [], ""),
    ("济南联创软件有限公司", "联创", [("周杰", "")], ""),
    ("大连宏图贸易有限公司", "", [], ""),
    ("北京安泰科创有限公司", "安泰", [("徐娟", "")], ""),
    ("上海智达信息技术有限公司", "智达", [], ""),
    ("广州盛世机械有限公司", "", [("孙涛", "")], ""),
    ("深圳永泰电子有限公司", "永泰", [], ""),
    ("杭州远航物流有限公司", "", [("马超", "")], ""),
    ("南京长风教育科技有限公司", "长风", [], ""),
    ("苏州立信会计咨询有限公司", "立信", [("朱霞", "")], ""),
    ("成都优品商贸有限公司", "", [], ""),
    ("武汉和美家居有限公司", "和美", [("胡平", "")], ""),
    ("西安万象文化有限公司", "万象", [], ""),
    ("Acme Trading Co., Ltd.", "Acme", [("John Smith", "")], ""),
    ("Blue Ocean Tech Inc.", "", [], ""),
    ("ABCxiaomi科技有限公司", "", [], ""),
    ("ＡＢＣ全角科技有限公司", "", [], ""),
    ("科", "", [], ""),
    ("龙", "", [("虎", "")], ""),
    ("华夏银行北京分行", "华夏", [("王华明", "")], ""),
    ("中国平安保险有限公司", "平安", [("林芳", "")], ""),
]

CJK_QUERIES = [
    "科",
    "技",
    "华",
    "龙",
    "虎",
    "园",
    "科技",
    "龙虎",
    "虎龙",
    "王华",
    "田芳",
    "国藩",
    "北京",
    "公司",
    "旅游",
    "贸易",
    "龙虎科技",
    "科技园",
    "有限公司",
    "信息技术",
    "单田芳",
    "区志强",
    "华罗庚",
    "王华明",
    "不存在的",
    "龙虎 科技",
    "xiaomi科技",
    "ABC全角",
    "ＡＢＣ全角",
    "abc全角",
    "龙虎（",
    "科技有限公司",
]


@pytest.fixture
def customers(alice):
    made = {}
    for name, short, people, mobile in DATA:
        c = make_customer(alice, name=name, short_name=short, mobile=mobile)
        for person, person_mobile in people:
            make_contact(alice, c, name=person, mobile=person_mobile)
        made[name] = reload(c)
    # A deleted contact must not be found any more.
    gone = make_contact(alice, made["南京金桥软件有限公司"], name="欧阳修")
    contact_service.delete(actor=alice, instance=reload(gone))
    return made


def like(query):
    """The reference result: a plain LIKE on name, short name and live contact names."""
    contact = Exists(Contact.objects.filter(customer=OuterRef("pk"), name__icontains=query))
    return set(
        Customer.objects.filter(Q(name__icontains=query) | Q(short_name__icontains=query) | contact).values_list(
            "name", flat=True
        )
    )


def found(query, queryset=None):
    qs = search_customers(queryset if queryset is not None else Customer.objects.all(), query)
    names = list(qs.values_list("name", flat=True))
    assert len(names) == len(set(names)), f"duplicate rows for {query!r}"
    return set(names)


def test_fixture_is_big_enough(customers):
    assert Customer.objects.count() == len(DATA) >= 40


def test_chinese_queries_equal_a_plain_like(customers):
    mismatches = {q: (found(q), like(q)) for q in CJK_QUERIES if found(q) != like(q)}
    assert not mismatches


def test_chinese_queries_find_something(customers):
    # Guard against a vacuous comparison: the sample really hits rows.
    assert len(like("科技")) >= 8 and len(like("龙虎")) == 3 and like("科技园") == {"深圳科技园发展有限公司"}
    assert like("虎龙") == {"广州虎龙贸易有限公司"}
    assert like("王华") == {"北京龙虎科技有限公司", "华夏银行北京分行"}
    assert "南京金桥软件有限公司" not in found("欧阳修")


def test_two_character_words_are_found(customers):
    assert found("科技") >= {"北京龙虎科技有限公司", "技园科技有限公司", "ABCxiaomi科技有限公司"}
    assert found("龙虎") == {"北京龙虎科技有限公司", "龙虎科技有限公司", "龙虎山旅游开发有限公司"}


def test_pinyin_full_spelling(customers):
    hits = found("longhu")
    assert {"北京龙虎科技有限公司", "龙虎科技有限公司", "龙虎山旅游开发有限公司"} <= hits
    assert "广州虎龙贸易有限公司" not in hits
    assert found("longhushan") == {"龙虎山旅游开发有限公司"}
    assert found("longhukeji") == {"北京龙虎科技有限公司", "龙虎科技有限公司"}
    assert {"北京龙虎科技有限公司", "龙虎科技有限公司"} <= found("lhkj")
    assert "北京龙虎科技有限公司" in found("beijinglonghu")


def test_pinyin_of_contact_names_and_initials(customers):
    assert {"北京龙虎科技有限公司", "深圳科技园发展有限公司", "技园科技有限公司"} <= found("wh")
    assert "北京龙虎科技有限公司" in found("wanghua")
    assert "华夏银行北京分行" in found("whm")


SURNAME_QUERIES = [
    ("shantianfang", "龙虎科技有限公司"),
    ("stf", "龙虎科技有限公司"),
    ("zengguofan", "龙虎山旅游开发有限公司"),
    ("zgf", "龙虎山旅游开发有限公司"),
    ("ouzhiqiang", "广州虎龙贸易有限公司"),
    ("ozq", "广州虎龙贸易有限公司"),
    ("xiexiaodong", "杭州云帆信息技术有限公司"),
    ("hualuogeng", "上海华信科技有限公司"),
]


def test_surname_overrides(customers):
    missing = [(q, c) for q, c in SURNAME_QUERIES if c not in found(q)]
    assert not missing


def test_common_readings_of_override_surnames_do_not_match(customers):
    assert "龙虎科技有限公司" not in found("dantianfang")
    assert "广州虎龙贸易有限公司" not in found("quzhiqiang")
    assert "龙虎山旅游开发有限公司" not in found("cengguofan")


def test_surname_table_in_tokens():
    assert pinyin_of("单田芳") == ("shantianfang", "stf")
    assert pinyin_of("曾国藩") == ("zengguofan", "zgf")
    assert pinyin_of("区志强") == ("ouzhiqiang", "ozq")
    assert pinyin_of("单位", surname=False)[0] == "danwei"


def test_phone_prefix_email_and_code(customers):
    assert found("1380013") == {"北京龙虎科技有限公司"}
    assert found("138001") == {"北京龙虎科技有限公司"}  # contact mobile 13800100001 too, same customer
    assert found("13900139000") == {"上海华信科技有限公司"}
    customer = customers["上海华信科技有限公司"]
    assert found(customer.code) == {"上海华信科技有限公司"}
    assert found(customer.code.lower()) == {"上海华信科技有限公司"}


def test_latin_words(customers):
    assert found("acme") == {"Acme Trading Co., Ltd."}
    assert found("ACME trad") == {"Acme Trading Co., Ltd."}
    assert found("john") == {"Acme Trading Co., Ltd."}
    assert found("blue ocean") == {"Blue Ocean Tech Inc."}
    assert found("nothingmatches") == set()


def test_unindexable_queries_are_a_plain_like_not_everything(customers):
    make_customer(customers["科"].owner, name="罕见字𠮷〇有限公司", email="x@example.cn")
    for query in ("@", "（", "𠮷", "〇", "-"):
        like_all = set(
            Customer.objects.filter(
                Q(name__icontains=query)
                | Q(short_name__icontains=query)
                | Q(code__icontains=query)
                | Q(phone__icontains=query)
                | Q(mobile__icontains=query)
                | Q(email__icontains=query)
                | Exists(Contact.objects.filter(customer=OuterRef("pk"), name__icontains=query))
            ).values_list("name", flat=True)
        )
        assert found(query) == like_all, query
    assert found("𠮷") == {"罕见字𠮷〇有限公司"} == found("@")


def test_search_stays_inside_the_given_queryset(customers, alice, bob):
    mine = make_customer(bob, name="博文龙虎有限公司")
    assert "博文龙虎有限公司" in found("龙虎")
    assert "博文龙虎有限公司" not in found("龙虎", Customer.objects.visible_to(alice))
    assert found("龙虎", Customer.objects.visible_to(bob)) == {mine.name}


def test_renamed_customer_is_found_under_the_new_name(alice):
    from customers.services import customer_service

    c = make_customer(alice, name="旧名字有限公司")
    customer_service.update(actor=alice, instance=reload(c), data={"name": "新名称有限公司"})
    assert found("新名称") == {"新名称有限公司"} and found("旧名字") == set()
    assert found("xinmingcheng") == {"新名称有限公司"}


def test_tokens_are_ascii_and_locale_free():
    tokens = make_tokens("010-12345678", names=["北京龙虎科技"], person_names=["单田芳"])
    assert tokens.isascii()
    assert {"shantianfang", "stf", "010", "12345678"} <= set(tokens.split())
    assert query_terms("龙虎")[0] == ("x9f99x864e", False)


def test_list_page_and_api_use_the_same_search(customers, web, api):
    expected = like("科技")
    page = web("alice").get("/customers/customers/", {"q": "科技", "per_page": 100})
    assert page.status_code == 200
    shown = {r.record.name for r in page.context["table"].page.object_list}
    assert shown == expected
    data = api("alice").get("/api/v1/customers/", {"q": "科技", "page_size": 100}).json()
    assert {r["name"] for r in data["results"]} == expected


def test_global_search_returns_customers_and_contacts_in_scope(customers, alice, web, bob):
    other = make_customer(bob, name="博文龙虎有限公司")
    make_contact(bob, other, name="王华强")
    response = web("alice").get("/core/search/", {"q": "龙虎"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "北京龙虎科技有限公司" in text and "博文龙虎有限公司" not in text
    response = web("alice").get("/core/search/", {"q": "王华"})
    text = response.content.decode()
    assert customers["北京龙虎科技有限公司"].contacts.get(name="王华").get_absolute_url() in text
    assert "王华强" not in text
    response = web("bob").get("/core/search/", {"q": "王华"})
    text = response.content.decode()
    assert "王华强" in text and "北京龙虎科技有限公司" not in text
    assert "王华明" not in text


def test_global_search_by_phone_and_code(customers, web):
    customer = customers["上海华信科技有限公司"]
    for q in (customer.code, "13900139000"):
        text = web("alice").get("/core/search/", {"q": q}).content.decode()
        assert customer.get_absolute_url() in text, q


def test_a_page_of_a_common_term_walks_the_newest_first_index_with_the_same_rows(customers, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import customers.search as search

    def page(query):
        qs = search_customers(Customer.objects.all(), query).order_by("-created_at", "-id")
        with CaptureQueriesContext(connection) as ctx:
            names = list(qs.values_list("name", flat=True)[:5])
        return names, qs.count(), ctx.captured_queries[-1]["sql"]

    plain = {q: page(q)[:2] for q in CJK_QUERIES}
    monkeypatch.setattr(search, "WALK_MIN", 1)  # every term counts as common in this small table
    walked = {}
    for q in CJK_QUERIES:
        names, count, sql = page(q)
        walked[q] = (names, count)
        if connection.vendor == "sqlite" and plain[q][1]:
            assert "+customers_customer.id IN" in sql, q
    assert walked == plain
