"""Small builders for basedata records, shared by the core, basedata and workspace tests."""

from basedata.models import DictItem, DictType, Region


def make_type(code="colour", name="颜色", name_en="Colour", **extra):
    return DictType.objects.create(code=code, name=name, name_en=name_en, **extra)


def make_item(dict_type, code, label_zh=None, label_en=None, **extra):
    return DictItem.objects.create(
        type=dict_type,
        code=code,
        label_zh=label_zh or f"标签{code}",
        label_en=label_en or f"Label {code}",
        **extra,
    )


def make_items(dict_type, n, prefix="c"):
    return DictItem.objects.bulk_create(
        DictItem(type=dict_type, code=f"{prefix}{i:03}", label_zh=f"项{i}", label_en=f"Item {i}", order=i)
        for i in range(n)
    )


def make_regions():
    """China → 上海 (province) → 上海市 (city) → 浦东新区 / 黄浦区 (districts), plus 江苏 → 南京."""
    cn = Region.objects.create(code="CN", name="中国", name_en="China", level=Region.Level.COUNTRY)
    sh = Region.objects.create(code="31", name="上海", name_en="Shanghai", level=Region.Level.PROVINCE, parent=cn)
    shc = Region.objects.create(code="3101", name="上海市", level=Region.Level.CITY, parent=sh)
    pd = Region.objects.create(code="310115", name="浦东新区", level=Region.Level.DISTRICT, parent=shc, order=2)
    hp = Region.objects.create(code="310101", name="黄浦区", level=Region.Level.DISTRICT, parent=shc, order=1)
    js = Region.objects.create(code="32", name="江苏", name_en="Jiangsu", level=Region.Level.PROVINCE, parent=cn)
    nj = Region.objects.create(code="3201", name="南京市", level=Region.Level.CITY, parent=js)
    return {"cn": cn, "sh": sh, "shc": shc, "pd": pd, "hp": hp, "js": js, "nj": nj}
