"""Demo customers, contacts and follow-ups (bilingual), created in bulk so that
`seed_demo --customers 1000000` is feasible on PostgreSQL."""

import random
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.bulk import fast_insert
from core.demo import grant, register_seeder
from core.search_tokens import make_tokens

ALL_CUSTOMER = "customers.customer:*"
MANAGE_CUSTOMER = (
    "customers.customer:view,add,change,delete,export,import,assign,transfer,claim,release,save_duplicate,merge,review"
)
MANAGE_CHILD = "view,add,change,delete,export,import"
grant("admin", ALL_CUSTOMER, "customers.contact:*", "customers.followup:*", "customers.tag:*")
# Purging from the recycle bin stays with administrators (CUS-9).
grant(
    "sales_manager",
    MANAGE_CUSTOMER,
    f"customers.contact:{MANAGE_CHILD}",
    f"customers.followup:{MANAGE_CHILD}",
    "customers.tag:view,add,change",
)
grant(
    "account_manager",
    "customers.customer:view,add,change,delete,export,import,claim,release",
    "customers.contact:view,add,change,delete,export",
    "customers.followup:view,add,change,export",
    "customers.tag:view",
)
grant(
    "executive",
    "customers.customer:view,export",
    "customers.contact:view",
    "customers.followup:view",
    "customers.tag:view",
)
grant(
    "customer_service",
    "customers.customer:view",
    "customers.contact:view",
    "customers.followup:view,add",
    "customers.tag:view",
)

CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "武汉",
    "西安",
    "天津",
    "重庆",
    "青岛",
    "厦门",
    "宁波",
    "长沙",
    "郑州",
    "合肥",
    "济南",
    "大连",
]
BRANDS = [
    "龙虎",
    "华信",
    "东方",
    "金桥",
    "新锐",
    "博远",
    "恒通",
    "瑞丰",
    "中科",
    "天成",
    "鼎盛",
    "汇丰",
    "云帆",
    "星辰",
    "海纳",
    "启明",
    "卓越",
    "联创",
    "宏图",
    "安泰",
    "科创",
    "智达",
    "盛世",
    "永泰",
    "远航",
    "长风",
    "立信",
    "优品",
    "和美",
    "万象",
]
TRADES = [
    ("科技", "it"),
    ("软件", "it"),
    ("信息技术", "it"),
    ("制造", "manufacturing"),
    ("机械", "manufacturing"),
    ("贸易", "retail"),
    ("商贸", "retail"),
    ("教育", "education"),
    ("医疗器械", "healthcare"),
    ("物流", "logistics"),
    ("文化传媒", "media"),
    ("能源", "energy"),
    ("置业", "realestate"),
    ("投资", "finance"),
]
EN_NAMES = [
    "Acme Trading",
    "Blue Ocean Tech",
    "Pacific Logistics",
    "Golden Gate Software",
    "Northwind Foods",
    "Evergreen Energy",
    "Summit Medical",
    "Brightpath Education",
    "Silverline Media",
    "Redwood Manufacturing",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单解仇朴区查盖"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "文博",
    "思远",
    "雨萱",
    "子涵",
]
POSITIONS = ["总经理", "采购经理", "技术总监", "财务主管", "行政经理", "销售总监", "IT 经理", "董事长助理"]
SUMMARIES = [
    "电话沟通需求",
    "上门拜访介绍方案",
    "发送报价单",
    "微信确认合同细节",
    "参加产品演示会",
    "回访使用情况",
    "邮件跟进付款进度",
]


def _dicts():
    from basedata.models import DictItem

    items = {}
    for item in DictItem.objects.select_related("type"):
        items.setdefault(item.type.code, []).append(item)
    return items


def _mobile(rng):
    return f"1{rng.choice(['38', '39', '58', '86', '88', '36', '77', '99'])}{rng.randrange(10**8):08d}"


def _city_regions():
    """{city word of CITIES: (province id, [city ids])} for the words found among the regions.

    厦门 is the city 厦门市 in 福建省; 北京 is the municipality 北京市 (a province) whose city level
    is 市辖区. A company named after a city is placed in that city, never in another province.
    """
    from basedata.models import Region

    places = {}
    cities = list(Region.objects.filter(level=2).values_list("pk", "name", "parent_id"))
    provinces = list(Region.objects.filter(level=1).values_list("pk", "name"))
    children = {}
    for pk, _name, parent in cities:
        children.setdefault(parent, []).append(pk)
    for word in CITIES:
        city = next(((pk, parent) for pk, name, parent in cities if name.startswith(word)), None)
        if city is not None:
            places[word] = (city[1], [city[0]])
            continue
        province = next((pk for pk, name in provinces if name.startswith(word)), None)
        if province is not None:  # a municipality: any of its city-level entries
            places[word] = (province, children.get(province, []))
    return places


BULK_THRESHOLD = 10_000  # from here on seed_customers() is the bulk path (no audit entries)


SPAN = timedelta(days=720)


def _followup_times(created_at, count, now):
    """Follow-ups a week apart after the customer was created, none of them in the future."""
    if count and created_at + timedelta(days=(count - 1) * 7 + 1) > now:
        # A recent customer: its follow-ups spread evenly between its creation and now.
        return [created_at + (now - created_at) * (k + 1) / (count + 1) for k in range(count)]
    return [created_at + timedelta(days=k * 7 + 1) for k in range(count)]


def _audit_created(objects_by_actor):
    """Audit entries "created" for demo records (small demo only), dated like the records."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Cast

    from accounts.models import AuditEntry
    from core.audit import snapshot

    entries, models = [], set()
    for obj, actor in objects_by_actor:
        models.add(type(obj))
        entries.append(
            AuditEntry(
                actor_id=actor.pk if actor else None,
                actor_repr=str(actor) if actor else "",
                source="demo",
                action="create",
                content_type_id=ContentType.objects.get_for_model(obj).pk,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                changes={k: [None, v] for k, v in snapshot(obj).items() if v is not None and v != ""},
            )
        )
    fast_insert(AuditEntry, entries)
    # AuditEntry.created_at is auto_now_add: date each entry like its record (one UPDATE per
    # model and 2,000 entries, the dates read by a subquery, not one UPDATE per entry).
    for model in models:
        ct = ContentType.objects.get_for_model(model)
        ids = [e.pk for e in entries if e.content_type_id == ct.pk]
        moment = model._base_manager.filter(pk=Cast(OuterRef("object_id"), IntegerField())).values("created_at")[:1]
        for start in range(0, len(ids), 2000):
            AuditEntry.objects.filter(pk__in=ids[start : start + 2000]).update(created_at=Subquery(moment))


def seed_customers(n, *, stdout=None, seed=2026, batch=5000):
    """Create `n` customers with contacts and follow-ups in bulk. Returns timings."""
    from accounts.models import User
    from basedata.models import Region

    from .models import Contact, Customer, FollowUp, OwnerHistory, Tag
    from .services import next_codes, normalise_name

    rng = random.Random(seed)
    dicts = _dicts()
    owners = list(User.objects.filter(username__in=["alice", "bob", "charlie", "manager"]))
    provinces = list(Region.objects.filter(level=1).values_list("pk", flat=True)) or [None]
    cities = {}
    for pk, parent in Region.objects.filter(level=2).values_list("pk", "parent_id"):
        cities.setdefault(parent, []).append(pk)
    places = _city_regions()
    # Without regions (or none of these cities among them) the name's city is all there is.
    city_words = [w for w in CITIES if w in places] or CITIES
    small = n < BULK_THRESHOLD
    tags = [
        Tag.objects.get_or_create(name=n, defaults={"color": c})[0]
        for n, c in (("重点跟进", "red"), ("老客户", "green"), ("展会", "orange"), ("VIP", "purple"))
    ]
    now = timezone.now()
    codes = iter(next_codes("KH{yyyy}{mm}-{seq:07}", n))
    started = time.monotonic()
    created = contacts_n = followups_n = 0
    pick = lambda code: rng.choice(dicts[code]) if dicts.get(code) else None  # noqa: E731
    while created < n:
        size = min(batch, n - created)
        customers, contact_rows, followup_times = [], [], []
        for i in range(size):
            index = created + i
            if index % 10 == 9:
                name = f"{rng.choice(EN_NAMES)} {'Co., Ltd.' if index % 20 == 9 else 'Inc.'} {index}"
                trade = "it"
                province = rng.choice(provinces)
                city_id = rng.choice(cities.get(province, [None]))
            else:
                trade_word, trade = rng.choice(TRADES)
                word = rng.choice(city_words)
                name = f"{word}{rng.choice(BRANDS)}{trade_word}有限公司{index if index >= 2000 else ''}"
                province, city_ids = places.get(word, (None, []))
                city_id = rng.choice(city_ids) if city_ids else None
            owner = None if index % 10 == 0 else owners[index % len(owners)]
            # Spread over two years in the order of the rows, as records accumulate in a real
            # database: its newest-first scans then read the table in physical order.
            created_at = now - SPAN + SPAN * (index + 1) / (n + 1) - timedelta(minutes=rng.randrange(1440))
            # bulk: 5 follow-ups a customer (issue #3 figures); small demo: 0-3.
            visits = _followup_times(created_at, 5 if not small else i % 4, now)
            mobile = _mobile(rng)
            n_people = 2 if not small else 1 + index % 2  # bulk: 2 contacts a customer (issue #3 figures)
            people = [(rng.choice(SURNAMES) + rng.choice(GIVEN), _mobile(rng)) for _ in range(n_people)]
            c = Customer(
                code=next(codes),
                name=name[:50],
                name_key=normalise_name(name),
                owner=owner,
                department_id=owner.department_id if owner else None,
                in_pool=owner is None,
                pool_entered_at=created_at if owner is None else None,
                pool_reason="演示数据 demo" if owner is None else "",
                customer_type=pick("customer_type"),
                level=pick("customer_level"),
                status=pick("customer_status"),
                source=pick("customer_source"),
                credit_rating=pick("credit_rating"),
                industry=next((d for d in dicts.get("industry", []) if d.code == trade), None),
                ownership=pick("ownership"),
                scale=pick("company_scale"),
                province_id=province,
                city_id=city_id,
                address=f"{rng.randrange(1, 999)}号",
                phone=f"0{rng.choice(['10', '21', '20', '755', '571'])}-{rng.randrange(10**7, 10**8)}",
                mobile=mobile,
                email=f"info{index}@example.cn",
                created_at=created_at,
                last_followup_at=visits[-1] if visits else None,
                founded_on=(now - timedelta(days=365 * rng.randrange(1, 30) + rng.randrange(365))).date(),
            )
            c.search_text = make_tokens(
                c.code,
                c.phone,
                c.mobile,
                c.email,
                *[p[1] for p in people],
                names=[c.name],
                person_names=[p[0] for p in people],
            )
            customers.append(c)
            contact_rows.append(people)
            followup_times.append(visits)
        with transaction.atomic():
            fast_insert(Customer, customers)
            contacts = []
            for c, people in zip(customers, contact_rows, strict=True):
                for j, (person, mobile) in enumerate(people):
                    contacts.append(
                        Contact(
                            customer=c,
                            name=person,
                            mobile=mobile,
                            position=rng.choice(POSITIONS),
                            is_primary=j == 0,
                            created_at=c.created_at,
                            gender=rng.choice("mf"),
                            email=f"c{c.pk}{j}@example.cn",
                            birthday=(now - timedelta(days=365 * rng.randrange(25, 60) + rng.randrange(365))).date(),
                        )
                    )
            fast_insert(Contact, contacts)
            channel_items = dicts.get("followup_channel", [None])
            followups = [
                FollowUp(
                    customer=c,
                    channel=rng.choice(channel_items),
                    summary=rng.choice(SUMMARIES),
                    happened_at=at,
                    created_by=c.owner,
                    created_at=at,
                )
                for c, visits in zip(customers, followup_times, strict=True)
                for at in visits
            ]
            fast_insert(FollowUp, followups)
            if small:
                # The 360° timeline shows how the records came about (the bulk path skips this).
                _audit_created(
                    [(c, c.owner) for c in customers]
                    + [(p, p.customer.owner) for p in contacts]
                    + [(f, f.created_by) for f in followups]
                )
            fast_insert(
                OwnerHistory,
                [
                    OwnerHistory(customer=c, action="create", to_owner=c.owner, created_at=c.created_at)
                    for c in customers
                ],
            )
            through = Customer.tags.through
            through.objects.bulk_create(
                [
                    through(customer_id=c.pk, tag_id=tags[k % len(tags)].pk)
                    for k, c in enumerate(customers)
                    if k % 5 == 0
                ],
                batch_size=2000,
            )
        created += size
        contacts_n += len(contacts)
        followups_n += len(followups)
        if stdout and n >= 50000 and created % 50000 < batch:
            stdout.write(f"  customers: {created}/{n} ({time.monotonic() - started:.0f} s)")
    elapsed = time.monotonic() - started
    return {"customers": created, "contacts": contacts_n, "followups": followups_n, "seconds": elapsed}


def seed(stdout=None, customers=200, **options):
    from .models import Customer

    if Customer.all_objects.exists() and not options.get("force_customers"):
        return
    result = seed_customers(customers, stdout=stdout)
    if stdout:
        stdout.write(
            f"customers: {result['customers']} customers, {result['contacts']} contacts, "
            f"{result['followups']} follow-ups in {result['seconds']:.1f} s"
        )


register_seeder(30, seed)
