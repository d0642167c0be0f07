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
        customers, contact_rows = [], []
        for i in range(size):
            index = created + i
            if index % 10 == 9:
                name = f"{rng.choice(EN_NAMES)} {'Co., Ltd.' if index % 20 == 9 else 'Inc.'} {index}"
                trade = "it"
            else:
                trade_word, trade = rng.choice(TRADES)
                name = f"{rng.choice(CITIES)}{rng.choice(BRANDS)}{trade_word}有限公司{index if index >= 2000 else ''}"
            owner = None if index % 10 == 0 else owners[index % len(owners)]
            province = rng.choice(provinces)
            created_at = now - timedelta(days=rng.randrange(720), minutes=rng.randrange(1440))
            mobile = _mobile(rng)
            n_people = 2 if n >= 10000 else 1 + index % 2  # bulk: 2 contacts a customer (issue #3 figures)
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
                city_id=rng.choice(cities.get(province, [None])),
                address=f"{rng.randrange(1, 999)}号",
                phone=f"0{rng.choice(['10', '21', '20', '755', '571'])}-{rng.randrange(10**7, 10**8)}",
                mobile=mobile,
                email=f"info{index}@example.cn",
                created_at=created_at,
                last_followup_at=created_at + timedelta(days=rng.randrange(30)),
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
                    happened_at=c.created_at + timedelta(days=k * 7 + 1),
                    created_by=c.owner,
                    created_at=c.created_at,
                )
                for k_c, c in enumerate(customers)
                for k in range(5 if n >= 10000 else k_c % 4)
            ]
            fast_insert(FollowUp, followups)
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
